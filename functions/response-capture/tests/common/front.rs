//! The local runner's HTTP API, in process: each request is routed by `template.yaml`'s routes
//! and turned into the API Gateway v2 event that route produces (`closeloop_local`'s own
//! `find_route` and `api_gateway_v2_event`, as `closeloop-local` does), then dispatched to the
//! function the template names (response-capture or survey-delivery), built on the test's
//! table. A method the template has no route for is 405, as the runner answers. Real HTTP over
//! TCP, so a browser or a link scanner can fetch from it.

use std::cell::Cell;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use closeloop::lambda::dispatch;
use closeloop_local::{
    api_gateway_v2_event, parse_api_response, IncomingRequest, RouteMatch, Template,
};
use response_capture::ResponseCapture;
use survey_delivery::SurveyDelivery;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The public functions behind the API, and the clock the requests arrive at.
pub struct Front {
    pub capture: ResponseCapture,
    pub delivery: SurveyDelivery,
    pub now: Cell<DateTime<Utc>>,
}

/// Serves `front` on `listener` until the test ends (run it on a `LocalSet`).
pub async fn serve(listener: tokio::net::TcpListener, front: Rc<Front>) {
    let template = Rc::new(Template::project().expect("template.yaml"));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let front = front.clone();
        let template = template.clone();
        tokio::task::spawn_local(async move {
            let _ = handle(stream, &front, &template).await;
        });
    }
}

async fn handle(
    mut stream: tokio::net::TcpStream,
    front: &Front,
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
    let now = front.now.get();
    let (status, headers, body) = match template.find_route(&method, &incoming.path) {
        RouteMatch::Found(route, params) => {
            let event = api_gateway_v2_event(route, &incoming, &params, None, now);
            let reply = match route.function.as_str() {
                "response-capture" => dispatch(&front.capture, event, now).await,
                "survey-delivery" => dispatch(&front.delivery, event, now).await,
                other => panic!("a public link reached {other}, which this front does not run"),
            }
            .expect("dispatch");
            let api = parse_api_response(&reply).expect("API Gateway reply");
            (api.status, api.headers, api.body)
        }
        RouteMatch::MethodNotAllowed(_) => (405, Vec::new(), b"Method Not Allowed".to_vec()),
        RouteMatch::NotFound => (404, Vec::new(), b"Not Found".to_vec()),
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
    if method != "HEAD" {
        stream.write_all(&body).await?;
    }
    stream.shutdown().await
}
