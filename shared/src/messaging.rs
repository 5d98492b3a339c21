//! Outgoing messages: SMS and internal alerts through SNS, email through SES.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};
use aws_sdk_sns::types::MessageAttributeValue;

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

#[derive(Debug, Clone)]
pub struct Messenger {
    sns: aws_sdk_sns::Client,
    ses: aws_sdk_sesv2::Client,
    sender: String,
    alerts_topic_arn: String,
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
            .message_attributes(
                "AWS.SNS.SMS.SMSType",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("Transactional")
                    .build()
                    .map_err(Error::upstream)?,
            )
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

    /// Publishes an internal alert; subscribers filter on the `department` attribute.
    pub async fn alert(&self, department: &str, subject: &str, text: &str) -> Result<String> {
        let output = self
            .sns
            .publish()
            .topic_arn(&self.alerts_topic_arn)
            .subject(subject)
            .message(text)
            .message_attributes(
                "department",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(department)
                    .build()
                    .map_err(Error::upstream)?,
            )
            .send()
            .await
            .map_err(Error::upstream)?;
        Ok(output.message_id.unwrap_or_default())
    }
}
