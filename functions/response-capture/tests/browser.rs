//! A customer on a phone: headless Chromium (Debian's `chromium`, installed by `make test`) at
//! a 390×844 viewport opens the survey link taken from the emulator's SMS sms_to, answers along
//! a skip path (a low service score reveals "which step disappointed you?", "call me back"
//! reveals the preferred time), submits and sees the thank-you — in English and in Chinese.
//! Screenshots are kept under `target/artefacts/`.
//!
//! The pages are served by a small test-only HTTP server that turns each request into the API
//! Gateway v2 event the template's route would produce (`closeloop_local::api_gateway_v2_event`)
//! and dispatches it to the function in-process. Chromium is driven through the DevTools
//! protocol over `--remote-debugging-pipe` (fds 3 and 4), so no driver needs installing.
//!
//! The SMS is sent by the test itself with `Messenger::send_sms` (the delivery sweep is being
//! built alongside); the link is then read back from the emulator's outbox as a customer would.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use closeloop::domain::survey::Locale;
use closeloop::keys;
use closeloop::lambda::dispatch;
use closeloop_local::{
    api_gateway_v2_event, parse_api_response, IncomingRequest, RouteMatch, Template,
};
use closeloop_tests::{sms_to, TestEnv};
use common::*;
use response_capture::ResponseCapture;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHROMIUM: &str = "/usr/bin/chromium";
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

// ---- a test-only HTTP front for the function ---------------------------------------------------

async fn serve(listener: tokio::net::TcpListener, function: Rc<ResponseCapture>) {
    let template = Rc::new(Template::project().expect("template.yaml"));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let function = function.clone();
        let template = template.clone();
        tokio::task::spawn_local(async move {
            let _ = handle(stream, &function, &template).await;
        });
    }
}

async fn handle(
    mut stream: tokio::net::TcpStream,
    function: &ResponseCapture,
    template: &Template,
) -> std::io::Result<()> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_string();
    let target = request_line.next().unwrap_or("/").to_string();
    let mut incoming = IncomingRequest::new(&method, &target);
    let mut length = 0usize;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            incoming = incoming.header(name.trim(), value.trim());
        }
    }
    let mut body = raw[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    incoming = incoming.body(body);
    let (status, headers, body) = match template.find_route(&method, &incoming.path) {
        RouteMatch::Found(route, params) => {
            let event = api_gateway_v2_event(route, &incoming, &params, None, now());
            let reply = dispatch(function, event, now()).await.expect("dispatch");
            let api = parse_api_response(&reply).expect("API Gateway reply");
            (api.status, api.headers, api.body)
        }
        _ => (404, Vec::new(), b"no such route".to_vec()),
    };
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.shutdown().await
}

// ---- Chromium over the DevTools pipe ---------------------------------------------------------

struct Browser {
    child: std::process::Child,
    to_browser: std::io::PipeWriter,
    from_browser: mpsc::Receiver<Value>,
    events: VecDeque<Value>,
    next_id: u64,
    session: Option<String>,
    _profile: PathBuf,
}

impl Browser {
    fn launch() -> Browser {
        let profile =
            std::env::temp_dir().join(format!("closeloop-chromium-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&profile).unwrap();
        let (browser_reads, to_browser) = std::io::pipe().unwrap();
        let (from_browser, browser_writes) = std::io::pipe().unwrap();
        let (read_fd, write_fd) = (browser_reads.as_raw_fd(), browser_writes.as_raw_fd());
        let mut command = Command::new(CHROMIUM);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                "--window-size=390,844",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls between fork and exec. DevTools reads commands
        // on fd 3 and writes replies on fd 4.
        unsafe {
            command.pre_exec(move || {
                if libc::dup2(read_fd, 3) < 0 || libc::dup2(write_fd, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start /usr/bin/chromium");
        drop(browser_reads);
        drop(browser_writes);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(from_browser);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).unwrap_or(0) > 0 {
                message.pop();
                if let Ok(value) = serde_json::from_slice::<Value>(&message) {
                    if tx.send(value).is_err() {
                        return;
                    }
                }
                message.clear();
            }
        });
        Browser {
            child,
            to_browser,
            from_browser: rx,
            events: VecDeque::new(),
            next_id: 0,
            session: None,
            _profile: profile,
        }
    }

    fn send(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.to_browser.write_all(&bytes).unwrap();
        loop {
            let reply = self
                .from_browser
                .recv_timeout(STEP_TIMEOUT)
                .unwrap_or_else(|_| panic!("Chromium did not answer {method}"));
            if reply["id"] == json!(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
            self.events.push_back(reply);
        }
    }

    fn wait_for(&mut self, event: &str) {
        if let Some(at) = self.events.iter().position(|e| e["method"] == event) {
            self.events.drain(..=at);
            return;
        }
        loop {
            let message = self
                .from_browser
                .recv_timeout(STEP_TIMEOUT)
                .unwrap_or_else(|_| panic!("no {event} from Chromium"));
            if message["method"] == event {
                self.events.clear();
                return;
            }
        }
    }

    fn open_phone_tab(&mut self) {
        let targets = self.send("Target.getTargets", json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target")["targetId"]
            .clone();
        let attached = self.send(
            "Target.attachToTarget",
            json!({"targetId": page, "flatten": true}),
        );
        self.session = Some(attached["sessionId"].as_str().unwrap().to_string());
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        );
        self.send("Page.enable", json!({}));
    }

    fn navigate(&mut self, url: &str) {
        self.events.clear();
        self.send("Page.navigate", json!({"url": url}));
        self.wait_for("Page.loadEventFired");
    }

    fn eval(&mut self, expression: &str) -> Value {
        let result = self.send(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "userGesture": true}),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Taps the visible label of an input, as a finger would.
    fn tap(&mut self, selector: &str) {
        let tapped = self.eval(&format!(
            "(function(){{var e=document.querySelector('{selector}');if(!e)return false;e.scrollIntoView();e.click();return true}})()"
        ));
        assert_eq!(tapped, json!(true), "nothing to tap at {selector}");
    }

    fn type_into(&mut self, name: &str, text: &str) {
        let typed = self.eval(&format!(
            "(function(){{var e=document.querySelector('textarea[name=\"{name}\"]');if(!e||e.disabled)return false;e.focus();e.value={};e.dispatchEvent(new Event('input',{{bubbles:true}}));return true}})()",
            json!(text)
        ));
        assert_eq!(typed, json!(true), "cannot type into {name}");
    }

    fn is_hidden(&mut self, question: &str) -> bool {
        self.eval(&format!(
            "document.querySelector('[data-q=\"{question}\"]').hidden"
        )) == json!(true)
    }

    fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self.send("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/artefacts");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }

    fn text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.session = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}

/// What the browser saw, for the test thread to assert.
struct Seen {
    follow_up_hidden_at_first: bool,
    follow_up_shown_after_low_score: bool,
    callback_time_shown_after_yes: bool,
    viewport_width: Value,
    thank_you: String,
}

/// Answers the survey at `url` along the skip path and submits.
fn answer_on_a_phone(url: &str, label: &str) -> Seen {
    let mut browser = Browser::launch();
    browser.open_phone_tab();
    browser.navigate(url);
    let viewport_width = browser.eval("window.innerWidth");
    let follow_up_hidden_at_first = browser.is_hidden("disappointing_step");
    for question in [
        "pq_reliability",
        "pq_fit",
        "pq_ease_of_use",
        "sr_resolution",
        "sr_expertise",
        "as_handling",
        "as_policy",
        "as_follow_up",
        "va_pricing",
        "va_worth",
        "va_vs_alternatives",
        "overall_satisfaction",
        "overall_expectations",
        "overall_experience",
    ] {
        browser.tap(&format!("label[for=\"{question}-4\"]"));
    }
    // The skip path: a slow first response reveals the follow-up.
    browser.tap("label[for=\"sr_first_response-2\"]");
    let follow_up_shown_after_low_score = !browser.is_hidden("disappointing_step");
    browser.type_into(
        "disappointing_step",
        "等待首次回复太久 / waited too long for a first reply",
    );
    browser.tap("label[for=\"nps-7\"]");
    browser.tap("input[name=\"repurchase\"][value=\"probably\"]");
    browser.tap("input[name=\"improve_most\"][value=\"staff_training\"]");
    browser.tap("input[name=\"callback\"][value=\"yes\"]");
    let callback_time_shown_after_yes = !browser.is_hidden("callback_time");
    browser.type_into("callback_time", "weekday evenings");
    browser.screenshot(&format!("survey-{label}-answered.png"));
    browser.eval("window.scrollTo(0, 0)");
    browser.screenshot(&format!("survey-{label}-top.png"));
    browser.events.clear();
    browser.tap("button[type=\"submit\"]");
    browser.wait_for("Page.loadEventFired");
    let thank_you = browser.text();
    browser.screenshot(&format!("survey-{label}-thank-you.png"));
    Seen {
        follow_up_hidden_at_first,
        follow_up_shown_after_low_score,
        callback_time_shown_after_yes,
        viewport_width,
        thank_you,
    }
}

fn link_in_outbox(base: &str, phone: &str) -> String {
    let message = sms_to(phone)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no SMS to {phone} in the outbox"));
    let start = message
        .find(&format!("{base}/s/"))
        .expect("a survey link in the SMS");
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ":/.-_".contains(*c))
        .collect()
}

#[test]
fn a_customer_answers_from_the_sms_link_in_chromium_on_a_phone() {
    assert!(
        std::path::Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let env = TestEnv::new("capture-browser").await;
        create_default_survey(&env).await;
        let function = Rc::new(ResponseCapture::new(env.deps_for("response-capture")));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::task::spawn_local(serve(listener, function));

        for (label, locale, invitation, thanks) in [
            (
                "en",
                Locale::En,
                "inv-browser-en",
                "Thank you for your feedback!",
            ),
            ("zh-CN", Locale::ZhCn, "inv-browser-zh", "感谢您的反馈！"),
        ] {
            let token = invite(&env, invitation, locale, "sent").await;
            let phone = format!("+86138{:08}", rand::random::<u32>() % 100_000_000);
            let text = match locale {
                Locale::En => format!(
                    "How did we do? Tell us in 3 minutes: {base}/s/{}",
                    token.as_str()
                ),
                Locale::ZhCn => format!(
                    "您对我们的服务满意吗？请花3分钟告诉我们：{base}/s/{}",
                    token.as_str()
                ),
            };
            env.deps.messenger.send_sms(&phone, &text).await.unwrap();
            let url = link_in_outbox(&base, &phone);
            assert!(url.ends_with(token.as_str()));

            let (tx, rx) = tokio::sync::oneshot::channel();
            let label_owned = label.to_string();
            std::thread::spawn(move || {
                let _ = tx.send(answer_on_a_phone(&url, &label_owned));
            });
            let seen = rx.await.expect("the browser finished");
            assert_eq!(seen.viewport_width, json!(390));
            assert!(
                seen.follow_up_hidden_at_first,
                "the follow-up starts hidden"
            );
            assert!(
                seen.follow_up_shown_after_low_score,
                "a low score reveals the follow-up"
            );
            assert!(seen.callback_time_shown_after_yes);
            assert!(
                seen.thank_you.contains(thanks),
                "{label}: {}",
                seen.thank_you
            );

            let stored = item(&env, keys::response::for_invitation(invitation))
                .await
                .expect("recorded");
            assert_eq!(stored["complete"].as_bool().unwrap(), &true);
            assert_eq!(s(&stored, "locale"), locale.as_str());
            let answers = stored["answers"].as_m().unwrap();
            assert_eq!(
                answers["sr_first_response"].as_m().unwrap()["number"]
                    .as_n()
                    .unwrap(),
                "2"
            );
            assert!(answers["disappointing_step"].as_m().unwrap()["text"]
                .as_s()
                .unwrap()
                .contains("waited too long"));
            let callback = stored["callback"].as_m().unwrap();
            assert_eq!(
                callback["preferred_time"].as_s().unwrap(),
                "weekday evenings"
            );
            let invitation_item = item(&env, keys::invitation::home(invitation))
                .await
                .unwrap();
            assert_eq!(s(&invitation_item, "state"), "answered");
        }
        assert_eq!(responses(&env).await.len(), 2);
        let artefacts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/artefacts");
        assert!(artefacts.join("survey-en-thank-you.png").exists());
        assert!(artefacts.join("survey-zh-CN-answered.png").exists());
    });
}
