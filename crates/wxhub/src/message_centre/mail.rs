//! E-mail through the configured SMTP server (`[message_centre.smtp]`), with `lettre`: one
//! message per reached member, so no member sees another's address and a refused address is
//! reported as that member's (`invaliduser`). Plain text, UTF-8. Each message opens its own
//! connection: lettre's pool spawns tasks even when dropped, which needs a runtime wherever
//! the hub's state happens to be dropped.
//!
//! The password never leaves [`Secret`](crate::core::Secret) but into the SMTP
//! authentication itself; errors name the server's reply, never the credentials.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{SmtpConfig, SmtpTls};
use super::model::MailNotice;

/// The SMTP server e-mails go through, and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Why one e-mail did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailError {
    /// This recipient was refused (a bad address, a mailbox the server rejects): the others
    /// can still be sent.
    Refused(String),
    /// The server could not be reached or refused the sending as such (authentication, the
    /// sender): nothing more can be sent now.
    Failed(String),
}

/// A `[message_centre.smtp]` that cannot work, with the setting to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct BadSmtpConfig {
    pub field: &'static str,
    pub reason: String,
}

fn bad(field: &'static str, reason: impl Into<String>) -> BadSmtpConfig {
    BadSmtpConfig {
        field,
        reason: reason.into(),
    }
}

/// `from` as a mailbox: `Name <address>` or a bare address.
pub fn parse_from(raw: &str) -> Result<Mailbox, BadSmtpConfig> {
    raw.trim().parse::<Mailbox>().map_err(|e| {
        bad(
            "message_centre.smtp.from",
            format!("is no e-mail address ({e}); write it as \"Name <user@example.com>\" or \"user@example.com\""),
        )
    })
}

impl Mailer {
    /// The mailer `config` describes; `None` without a `host` (e-mail off).
    pub fn from_config(config: &SmtpConfig) -> Result<Option<Mailer>, BadSmtpConfig> {
        let Some(host) = config
            .host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let from = parse_from(config.from.as_deref().ok_or_else(|| {
            bad(
                "message_centre.smtp.from",
                "is required with message_centre.smtp.host (the sender's address)",
            )
        })?)?;
        if config.port == 0 {
            return Err(bad("message_centre.smtp.port", "must be greater than zero"));
        }
        if config.timeout_secs == 0 {
            return Err(bad(
                "message_centre.smtp.timeout_secs",
                "must be greater than zero",
            ));
        }
        let tls_error = |e: lettre::transport::smtp::Error| {
            bad(
                "message_centre.smtp.tls",
                format!("cannot be set up for {host:?}: {e}"),
            )
        };
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_error)?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_error)?,
        };
        let mut builder = builder
            .port(config.port)
            .timeout(Some(Duration::from_secs(config.timeout_secs)));
        match (config.username.as_deref(), config.password.as_ref()) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(
                    user.to_owned(),
                    password.expose().clone(),
                ));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(bad(
                    "message_centre.smtp.password",
                    "is required with message_centre.smtp.username (WXHUB_MESSAGE_CENTRE__SMTP__PASSWORD)",
                ))
            }
            (None, Some(_)) => {
                return Err(bad(
                    "message_centre.smtp.username",
                    "is required with message_centre.smtp.password",
                ))
            }
        }
        Ok(Some(Mailer {
            transport: builder.build(),
            from,
        }))
    }

    /// The message for one recipient.
    fn message(&self, to: &str, name: &str, mail: &MailNotice) -> Result<Message, MailError> {
        let address: Address = to
            .trim()
            .parse()
            .map_err(|e| MailError::Refused(format!("{to:?} is no e-mail address ({e})")))?;
        let name = Some(name.trim())
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(name, address))
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| MailError::Refused(format!("the e-mail could not be built: {e}")))
    }

    /// Sends `mail` to `to` (named `name`).
    pub async fn send(&self, to: &str, name: &str, mail: &MailNotice) -> Result<(), MailError> {
        let message = self.message(to, name, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// A refusal of the recipient (a permanent 550, 551, 553 or a syntax error in the address)
/// spares the others; anything else stops the sending.
fn classify(e: &lettre::transport::smtp::Error) -> MailError {
    let text = e.to_string();
    let code = e.status().map(|c| c.to_string());
    let recipient =
        e.is_permanent() && matches!(code.as_deref(), Some("550" | "551" | "553" | "501" | "554"));
    if recipient {
        MailError::Refused(text)
    } else {
        MailError::Failed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Secret;

    fn config(host: Option<&str>) -> SmtpConfig {
        SmtpConfig {
            host: host.map(str::to_owned),
            from: Some("消息中心 <noreply@example.com>".into()),
            ..SmtpConfig::default()
        }
    }

    #[test]
    fn no_host_is_no_mailer() {
        assert!(Mailer::from_config(&config(None)).expect("ok").is_none());
        assert!(Mailer::from_config(&config(Some(" ")))
            .expect("ok")
            .is_none());
    }

    #[test]
    fn a_host_needs_a_sender_and_a_username_its_password() {
        let mut c = config(Some("smtp.example.com"));
        c.from = None;
        let e = Mailer::from_config(&c).err().expect("refused");
        assert_eq!(e.field, "message_centre.smtp.from");
        c.from = Some("not an address".into());
        assert_eq!(
            Mailer::from_config(&c).err().expect("refused").field,
            "message_centre.smtp.from"
        );
        let mut c = config(Some("smtp.example.com"));
        c.username = Some("mc".into());
        let e = Mailer::from_config(&c).err().expect("refused");
        assert_eq!(e.field, "message_centre.smtp.password");
        c.password = Some(Secret::new("pw-123-secret".into()));
        for tls in [SmtpTls::None, SmtpTls::Starttls, SmtpTls::Tls] {
            c.tls = tls;
            assert!(Mailer::from_config(&c).expect("builds").is_some());
        }
        assert!(!format!("{c:?}").contains("pw-123-secret"));
    }

    #[test]
    fn a_bad_address_refuses_only_that_recipient() {
        let mailer = Mailer::from_config(&config(Some("127.0.0.1")))
            .expect("builds")
            .expect("on");
        let mail = MailNotice {
            subject: "【OA】审批".into(),
            body: "请审批".into(),
        };
        assert!(matches!(
            mailer.message("not-an-address", "张三", &mail),
            Err(MailError::Refused(_))
        ));
        let m = mailer
            .message("zhangsan@example.com", "张三", &mail)
            .expect("built");
        let raw = String::from_utf8(m.formatted()).expect("utf-8");
        assert!(raw.contains("zhangsan@example.com"), "{raw}");
        assert!(raw.contains("Content-Type: text/plain"), "{raw}");
    }
}
