//! Link tokens: at least 128 random bits, URL-safe, and only ever stored as a hash.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 16 random bytes encode to 22 URL-safe characters.
const TOKEN_BYTES: usize = 16;
const TOKEN_CHARS: usize = 22;

/// A well-formed link token. Whether it names anything is the store's question.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    // Tokens are credentials: keep them out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    pub fn generate(rng: &mut impl RngCore) -> Token {
        let mut bytes = [0u8; TOKEN_BYTES];
        rng.fill_bytes(&mut bytes);
        Token(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts exactly the shape `generate` makes; anything else is not a token of ours.
    pub fn parse(text: &str) -> Option<Token> {
        let well_formed = text.len() == TOKEN_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD
                .decode(text)
                .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES);
        well_formed.then(|| Token(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the table stores and looks up: hex SHA-256 of the token.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_tokens_parse_and_differ() {
        let mut rng = rand::thread_rng();
        let a = Token::generate(&mut rng);
        let b = Token::generate(&mut rng);
        assert_ne!(a, b);
        assert_eq!(Token::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), a.as_str());
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "short",
            "../../etc/passwd",
            "aaaaaaaaaaaaaaaaaaaaa=",
            "a".repeat(23).as_str(),
        ] {
            assert!(Token::parse(bad).is_none(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn debug_does_not_leak() {
        let token = Token::generate(&mut rand::thread_rng());
        assert!(!format!("{token:?}").contains(token.as_str()));
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in ".{0,64}") {
            let _ = Token::parse(&text);
        }
    }
}
