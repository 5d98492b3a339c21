//! Outgoing messages: SMS and internal alerts through SNS, email through SES.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use aws_sdk_sns::types::MessageAttributeValue;

use crate::domain::ticket::Publication;
use crate::error::{Error, Result};

/// An email with both parts, as every Closeloop email has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Extra headers, e.g. `List-Unsubscribe`.
    pub headers: Vec<(String, String)>,
}

impl Email {
    /// The email as a MIME message: UTF-8 parts in base64, the subject RFC 2047-encoded,
    /// header values stripped of line breaks (no header injection).
    pub fn to_mime(&self, from: &str) -> String {
        use base64::engine::general_purpose::STANDARD;
        use base64::Engine;
        let clean = |value: &str| value.replace(['\r', '\n'], " ");
        let encoded = |text: &str| {
            let b64 = STANDARD.encode(text.as_bytes());
            let mut wrapped = String::with_capacity(b64.len() + b64.len() / 76 * 2 + 2);
            for chunk in b64.as_bytes().chunks(76) {
                wrapped.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
                wrapped.push_str("\r\n");
            }
            wrapped
        };
        let boundary = "=_closeloop_alternative_=";
        let mut mime = format!(
            "From: {}\r\nTo: {}\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\n",
            clean(from),
            clean(&self.to),
            STANDARD.encode(clean(&self.subject).as_bytes()),
        );
        for (name, value) in &self.headers {
            mime.push_str(&format!("{}: {}\r\n", clean(name), clean(value)));
        }
        mime.push_str(&format!(
            "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
        ));
        for (kind, body) in [("plain", &self.text), ("html", &self.html)] {
            mime.push_str(&format!(
                "--{boundary}\r\nContent-Type: text/{kind}; charset=UTF-8\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}",
                encoded(body)
            ));
        }
        mime.push_str(&format!("--{boundary}--\r\n"));
        mime
    }
}

#[derive(Debug, Clone)]
pub struct Messenger {
    sns: aws_sdk_sns::Client,
    ses: aws_sdk_sesv2::Client,
    sender: String,
    alerts_topic_arn: String,
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(Error::upstream)
}

impl Messenger {
    pub fn new(
        sns: aws_sdk_sns::Client,
        ses: aws_sdk_sesv2::Client,
        sender: impl Into<String>,
        alerts_topic_arn: impl Into<String>,
    ) -> Self {
        Messenger {
            sns,
            ses,
            sender: sender.into(),
            alerts_topic_arn: alerts_topic_arn.into(),
        }
    }

    /// Sends one SMS to an E.164 number; returns the SNS message id.
    pub async fn send_sms(&self, phone: &str, text: &str) -> Result<String> {
        let output = self
            .sns
            .publish()
            .phone_number(phone)
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?)
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Sends one email as a raw MIME message (`multipart/alternative`, text + HTML, every
    /// extra header such as `List-Unsubscribe` kept verbatim); returns the SES message id.
    /// What arrives is exactly what `Email::to_mime` built, in SES and in the local emulator.
    pub async fn send_mime_email(&self, email: &Email) -> Result<String> {
        let raw = aws_sdk_sesv2::types::RawMessage::builder()
            .data(aws_sdk_sesv2::primitives::Blob::new(
                email.to_mime(&self.sender).into_bytes(),
            ))
            .build()
            .map_err(Error::upstream)?;
        let output = self
            .ses
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Sends one email (HTML + text); returns the SES message id.
    pub async fn send_email(&self, email: &Email) -> Result<String> {
        let content = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(Error::upstream)
        };
        let mut message = Message::builder().subject(content(&email.subject)?).body(
            Body::builder()
                .html(content(&email.html)?)
                .text(content(&email.text)?)
                .build(),
        );
        for (name, value) in &email.headers {
            message = message.headers(
                MessageHeader::builder()
                    .name(name)
                    .value(value)
                    .build()
                    .map_err(Error::upstream)?,
            );
        }
        let output = self
            .ses
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message.build()).build())
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(output.message_id.unwrap_or_default())
    }

    /// Publishes an internal alert with its message attributes (department, level, ticket, …),
    /// which subscribers filter on; returns the SNS message id.
    pub async fn alert(&self, publication: &Publication) -> Result<String> {
        let mut publish = self
            .sns
            .publish()
            .topic_arn(&self.alerts_topic_arn)
            .subject(&publication.subject)
            .message(&publication.text);
        for (name, value) in &publication.attributes {
            if !value.is_empty() {
                publish = publish.message_attributes(*name, string_attribute(value)?);
            }
        }
        let output = publish.send().await.map_err(Error::upstream)?;
        Ok(output.message_id.unwrap_or_default())
    }
}
