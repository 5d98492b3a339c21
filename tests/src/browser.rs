//! Headless Chromium (Debian's `chromium`, installed by `make test`) driven through the DevTools
//! protocol over `--remote-debugging-pipe` (fds 3 and 4), so no driver needs installing. The
//! browser tests of every page people see use it; screenshots go to `target/artefacts/`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// Where screenshots are kept: the workspace's `target/artefacts/`.
pub fn artefacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/artefacts")
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Browser {
    child: std::process::Child,
    to_browser: std::io::PipeWriter,
    from_browser: mpsc::Receiver<Value>,
    events: VecDeque<Value>,
    next_id: u64,
    session: Option<String>,
    _profile: PathBuf,
}

impl Browser {
    pub fn launch() -> Browser {
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
            .stderr(match std::env::var_os("CLOSELOOP_CHROMIUM_LOG") {
                // Chromium's own log, when a walk fails to start and the reason is wanted.
                Some(path) => std::fs::File::create(path)
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
                None => Stdio::null(),
            });
        // SAFETY: only async-signal-safe calls between fork and exec. DevTools reads commands
        // on fd 3 and writes replies on fd 4.
        unsafe {
            command.pre_exec(move || {
                // The pipe's own fds may already be 3 or 4 (dup2 onto itself would keep the
                // close-on-exec flag, and one could overwrite the other): copy both above 9
                // first, then onto 3 and 4.
                let (read, write) = (
                    libc::fcntl(read_fd, libc::F_DUPFD, 10),
                    libc::fcntl(write_fd, libc::F_DUPFD, 10),
                );
                if read < 0 || write < 0 || libc::dup2(read, 3) < 0 || libc::dup2(write, 4) < 0 {
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

    pub fn send(&mut self, method: &str, params: Value) -> Value {
        match self.try_send(method, params) {
            Ok(result) => result,
            Err(reply) => panic!("{method}: {reply}"),
        }
    }

    /// A command whose failure is expected at times (evaluating while a page navigates).
    pub fn try_send(&mut self, method: &str, params: Value) -> Result<Value, Value> {
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
                if reply.get("error").is_some() {
                    return Err(reply);
                }
                return Ok(reply["result"].clone());
            }
            self.events.push_back(reply);
        }
    }

    pub fn wait_for(&mut self, event: &str) {
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

    pub fn open_phone_tab(&mut self) {
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

    pub fn navigate(&mut self, url: &str) {
        self.events.clear();
        self.send("Page.navigate", json!({"url": url}));
        self.wait_for("Page.loadEventFired");
    }

    pub fn eval(&mut self, expression: &str) -> Value {
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
    pub fn tap(&mut self, selector: &str) {
        let tapped = self.eval(&format!(
            "(function(){{var e=document.querySelector({});if(!e)return false;e.scrollIntoView();e.click();return true}})()",
            json!(selector)
        ));
        assert_eq!(tapped, json!(true), "nothing to tap at {selector}");
    }

    pub fn type_into(&mut self, name: &str, text: &str) {
        let typed = self.eval(&format!(
            "(function(){{var e=document.querySelector('textarea[name=\"{name}\"]');if(!e||e.disabled)return false;e.focus();e.value={};e.dispatchEvent(new Event('input',{{bubbles:true}}));return true}})()",
            json!(text)
        ));
        assert_eq!(typed, json!(true), "cannot type into {name}");
    }

    pub fn is_hidden(&mut self, question: &str) -> bool {
        self.eval(&format!(
            "document.querySelector('[data-q=\"{question}\"]').hidden"
        )) == json!(true)
    }

    pub fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self.send("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = artefacts_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, png).unwrap();
        path
    }

    pub fn text(&mut self) -> String {
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

impl Browser {
    /// A page tab at `width`×`height` CSS pixels (a desktop when `mobile` is false).
    pub fn open_tab(&mut self, width: u32, height: u32, mobile: bool) {
        self.open_phone_tab();
        self.resize(width, height, mobile);
    }

    /// The viewport, changed in place (the page reflows).
    pub fn resize(&mut self, width: u32, height: u32, mobile: bool) {
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": if mobile { 2 } else { 1 }, "mobile": mobile}),
        );
    }

    /// The page's address now.
    pub fn url(&mut self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the JavaScript `condition` holds on the page (30 s at most).
    pub fn wait_until(&mut self, condition: &str) -> bool {
        let deadline = Instant::now() + STEP_TIMEOUT;
        while Instant::now() < deadline {
            let held = self.try_send(
                "Runtime.evaluate",
                json!({"expression": format!("!!({condition})"), "returnByValue": true}),
            );
            if matches!(held, Ok(ref r) if r["result"]["value"] == json!(true)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Sets a form control (input, select or textarea) found by `selector`, as typing would.
    pub fn fill(&mut self, selector: &str, value: &str) {
        let filled = self.eval(&format!(
            "(function(){{var e=document.querySelector({sel});if(!e||e.disabled)return false;e.focus();e.value={value};e.dispatchEvent(new Event('input',{{bubbles:true}}));e.dispatchEvent(new Event('change',{{bubbles:true}}));return true}})()",
            sel = json!(selector),
            value = json!(value)
        ));
        assert_eq!(filled, json!(true), "no control to fill at {selector}");
    }

    /// Clicks what `selector` finds and waits for the page it leads to.
    pub fn click_and_wait(&mut self, selector: &str) {
        self.events.clear();
        self.send("Page.enable", json!({}));
        self.tap(selector);
        self.wait_for("Page.loadEventFired");
    }

    /// Whether `selector` finds anything on the page.
    pub fn exists(&mut self, selector: &str) -> bool {
        self.eval(&format!("!!document.querySelector({})", json!(selector))) == json!(true)
    }

    /// The text of what `selector` finds (empty when nothing).
    pub fn text_of(&mut self, selector: &str) -> String {
        self.eval(&format!(
            "(function(){{var e=document.querySelector({});return e?e.innerText:''}})()",
            json!(selector)
        ))
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// The page's width that cannot be seen without scrolling sideways (0 when it fits).
    pub fn overflow_x(&mut self) -> i64 {
        self.eval("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .as_i64()
            .unwrap_or(0)
    }
}
