//! The anonymous (QR) form: the one-time nonce its page issues, and how many answers one store
//! may take in a minute.
//!
//! A nonce is `<issued at, unix seconds>.<16 random bytes>.<HMAC-SHA256>`, both binary parts
//! URL-safe base64. The HMAC covers the survey, the store, the channel, the issue time and the
//! random part, under a key only the deployment holds, so a client cannot make one up, move one
//! to another store or survey, or change its age. It is good for [`NONCE_LIFETIME`] and answers
//! once: the answer is stored under the nonce's hash, written only if absent.
//!
//! Pure rules: the key, the clock and the random bytes come in.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Timelike, Utc};
use sha2::{Digest, Sha256};

use crate::domain::survey::Locale;

/// How long a form's nonce can be answered with after the page was opened.
pub const NONCE_LIFETIME: Duration = Duration::hours(2);
/// A clock a little ahead on another instance must not refuse a fresh form.
const CLOCK_SKEW: Duration = Duration::minutes(5);
/// Fewest bytes of key material the deployment's secret must hold.
pub const MIN_KEY_BYTES: usize = 32;
/// Answers one store's anonymous form takes in one minute (all channels together); more are
/// refused with 429 and written nowhere. A store's queue at the till answers far slower.
pub const ANSWERS_PER_STORE_PER_MINUTE: u32 = 30;

const RANDOM_BYTES: usize = 16;
const MAC_BYTES: usize = 32;
const BLOCK: usize = 64;

/// The secret nonces are signed with. Its bytes never appear in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct NonceKey(Vec<u8>);

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey(…)")
    }
}

impl NonceKey {
    /// The key from the deployment's secret string (at least [`MIN_KEY_BYTES`] bytes).
    pub fn from_secret(secret: &str) -> Result<NonceKey, String> {
        let secret = secret.trim();
        if secret.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the QR nonce key must be at least {MIN_KEY_BYTES} bytes long, it has {}",
                secret.len()
            ));
        }
        Ok(NonceKey(secret.as_bytes().to_vec()))
    }

    fn mac(&self, message: &[u8]) -> [u8; MAC_BYTES] {
        hmac_sha256(&self.0, message)
    }
}

/// HMAC-SHA256 (RFC 2104) over `sha2`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// What a nonce is bound to: the form it was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormScope<'a> {
    pub survey_id: &'a str,
    pub store: Option<&'a str>,
    pub channel: &'a str,
}

impl FormScope<'_> {
    fn signed_text(&self, issued: i64, random: &str) -> String {
        // Ids and references hold no newline, so the fields cannot run into each other.
        format!(
            "closeloop-qr-nonce-v1\n{}\n{}\n{}\n{issued}\n{random}",
            self.survey_id,
            self.store.unwrap_or("-"),
            self.channel
        )
    }
}

/// A fresh nonce for the form `scope`, opened at `now`.
pub fn issue_nonce(
    key: &NonceKey,
    scope: FormScope<'_>,
    now: DateTime<Utc>,
    random: [u8; RANDOM_BYTES],
) -> String {
    let issued = now.timestamp();
    let random = URL_SAFE_NO_PAD.encode(random);
    let mac = key.mac(scope.signed_text(issued, &random).as_bytes());
    format!("{issued}.{random}.{}", URL_SAFE_NO_PAD.encode(mac))
}

/// Why a nonce is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceProblem {
    /// Missing: the form was not the one the page served.
    Missing,
    /// Not a nonce of ours, or changed, or issued for another survey, store or channel.
    NotIssued,
    /// Issued more than [`NONCE_LIFETIME`] ago.
    Expired,
}

impl NonceProblem {
    /// For JSON clients and logs.
    pub fn reason(self) -> &'static str {
        match self {
            NonceProblem::Missing => "the form is incomplete; open the survey page again",
            NonceProblem::NotIssued => {
                "this form was not issued by this survey page for this store; scan the code or open the survey page again"
            }
            NonceProblem::Expired => {
                "this form was opened more than 2 hours ago; scan the code or open the survey page again"
            }
        }
    }

    /// A title and a paragraph for the customer's page.
    pub fn page_text(self, locale: Locale) -> (&'static str, &'static str) {
        match (self, locale) {
            (NonceProblem::Expired, Locale::ZhCn) => (
                "表单已过期",
                "这份表单打开已超过 2 小时，回答没有保存。请重新扫描二维码或重新打开问卷后再填写。",
            ),
            (NonceProblem::Expired, Locale::En) => (
                "This form has expired",
                "This form was opened more than 2 hours ago, so your answers were not saved. Please scan the code again or open the survey again, then answer.",
            ),
            (_, Locale::ZhCn) => (
                "无法提交这份表单",
                "这份表单不是由问卷页面为这家门店生成的，或已被修改，回答没有保存。请重新扫描二维码后再填写。",
            ),
            (_, Locale::En) => (
                "This form cannot be sent",
                "This form was not issued by the survey page for this store, or it was changed, so your answers were not saved. Please scan the code again, then answer.",
            ),
        }
    }
}

/// A nonce that checked out: good for one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedNonce {
    /// Hex SHA-256 of the whole nonce: the answer's key, so the nonce answers once.
    pub hash: String,
    pub issued_at: DateTime<Utc>,
}

/// Checks `text` against the form it claims to come from, at `now`.
pub fn check_nonce(
    key: &NonceKey,
    scope: FormScope<'_>,
    text: Option<&str>,
    now: DateTime<Utc>,
) -> Result<CheckedNonce, NonceProblem> {
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let text = text.ok_or(NonceProblem::Missing)?;
    if text.len() > 100 {
        return Err(NonceProblem::NotIssued);
    }
    let mut parts = text.split('.');
    let (Some(issued), Some(random), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(NonceProblem::NotIssued);
    };
    let well_formed = !issued.is_empty()
        && issued.len() <= 12
        && issued.bytes().all(|b| b.is_ascii_digit())
        && URL_SAFE_NO_PAD
            .decode(random)
            .is_ok_and(|r| r.len() == RANDOM_BYTES && URL_SAFE_NO_PAD.encode(&r) == random);
    let given = URL_SAFE_NO_PAD.decode(mac).ok();
    let (true, Some(given)) = (well_formed, given) else {
        return Err(NonceProblem::NotIssued);
    };
    let issued: i64 = issued.parse().map_err(|_| NonceProblem::NotIssued)?;
    let expected = key.mac(scope.signed_text(issued, random).as_bytes());
    if !same_bytes(&expected, &given) {
        return Err(NonceProblem::NotIssued);
    }
    let issued_at = DateTime::from_timestamp(issued, 0).ok_or(NonceProblem::NotIssued)?;
    // A signed time from the future was signed by a clock that is wrong; treat it as issued
    // now, within the skew, and refuse it beyond.
    if issued_at > now + CLOCK_SKEW {
        return Err(NonceProblem::NotIssued);
    }
    if now - issued_at > NONCE_LIFETIME {
        return Err(NonceProblem::Expired);
    }
    Ok(CheckedNonce {
        hash: hex::encode(Sha256::digest(text.as_bytes())),
        issued_at,
    })
}

/// Compares in time that does not depend on where the first difference is.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The minute whose answers a store's limit counts, `YYYY-MM-DDTHH:MM` (UTC).
pub fn throttle_minute(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M").to_string()
}

/// When a minute's counter may be deleted (TTL, unix seconds): an hour after it ends.
pub fn throttle_expiry(now: DateTime<Utc>) -> i64 {
    let minute = now
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    (minute + Duration::minutes(61)).timestamp()
}

/// The store whose limit an answer counts against: the form's, or one shared bucket for forms
/// without a store.
pub fn throttle_store(store: Option<&str>) -> &str {
    store.unwrap_or("-")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn key() -> NonceKey {
        NonceKey::from_secret("an-example-key-of-at-least-32-bytes!").unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
    }

    fn scope() -> FormScope<'static> {
        FormScope {
            survey_id: "csat-default",
            store: Some("S01"),
            channel: "qr",
        }
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 and 6 (a key longer than the block).
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex::encode(hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn an_issued_nonce_checks_out_once_per_hash_for_two_hours() {
        let nonce = issue_nonce(&key(), scope(), now(), [7; 16]);
        let checked = check_nonce(&key(), scope(), Some(&nonce), now()).unwrap();
        assert_eq!(checked.issued_at, now());
        assert_eq!(checked.hash.len(), 64);
        let later = now() + NONCE_LIFETIME;
        assert!(check_nonce(&key(), scope(), Some(&nonce), later).is_ok());
        assert_eq!(
            check_nonce(&key(), scope(), Some(&nonce), later + Duration::seconds(1)),
            Err(NonceProblem::Expired)
        );
        let other = issue_nonce(&key(), scope(), now(), [8; 16]);
        assert_ne!(
            check_nonce(&key(), scope(), Some(&other), now())
                .unwrap()
                .hash,
            checked.hash
        );
    }

    #[test]
    fn a_nonce_is_bound_to_its_survey_store_channel_and_key() {
        let nonce = issue_nonce(&key(), scope(), now(), [7; 16]);
        for other in [
            FormScope {
                survey_id: "other",
                ..scope()
            },
            FormScope {
                store: Some("S02"),
                ..scope()
            },
            FormScope {
                store: None,
                ..scope()
            },
            FormScope {
                channel: "kiosk",
                ..scope()
            },
        ] {
            assert_eq!(
                check_nonce(&key(), other, Some(&nonce), now()),
                Err(NonceProblem::NotIssued),
                "{other:?}"
            );
        }
        let other_key = NonceKey::from_secret(&"k".repeat(40)).unwrap();
        assert_eq!(
            check_nonce(&other_key, scope(), Some(&nonce), now()),
            Err(NonceProblem::NotIssued)
        );
    }

    #[test]
    fn forged_altered_and_future_nonces_are_refused() {
        let nonce = issue_nonce(&key(), scope(), now(), [7; 16]);
        let (issued, rest) = nonce.split_once('.').unwrap();
        // Made younger by editing its time.
        let younger = format!("{}.{rest}", issued.parse::<i64>().unwrap() + 60);
        // Made up by a client: a random token, as the old form took.
        let made_up = "AAAAAAAAAAAAAAAAAAAAAA";
        let future = issue_nonce(&key(), scope(), now() + Duration::hours(1), [7; 16]);
        for bad in [
            younger.as_str(),
            made_up,
            &nonce[..nonce.len() - 1],
            &format!("{nonce}A"),
            &format!("{nonce}.x"),
            future.as_str(),
        ] {
            assert_eq!(
                check_nonce(&key(), scope(), Some(bad), now()),
                Err(NonceProblem::NotIssued),
                "{bad}"
            );
        }
        assert_eq!(
            check_nonce(&key(), scope(), None, now()),
            Err(NonceProblem::Missing)
        );
        assert_eq!(
            check_nonce(&key(), scope(), Some(" "), now()),
            Err(NonceProblem::Missing)
        );
    }

    #[test]
    fn short_keys_are_refused_and_never_printed() {
        assert!(NonceKey::from_secret("short").is_err());
        let key = key();
        assert!(!format!("{key:?}").contains("example"));
    }

    #[test]
    fn the_throttle_counts_per_minute_and_expires_after_it() {
        let t = now() + Duration::seconds(42);
        assert_eq!(throttle_minute(t), "2026-11-22T10:00");
        assert_eq!(
            throttle_expiry(t),
            (now() + Duration::minutes(61)).timestamp()
        );
        assert_eq!(throttle_store(None), "-");
        assert_eq!(throttle_store(Some("S01")), "S01");
    }

    proptest! {
        #[test]
        fn checking_never_panics(text in ".{0,120}") {
            let _ = check_nonce(&key(), scope(), Some(&text), now());
        }
    }
}
