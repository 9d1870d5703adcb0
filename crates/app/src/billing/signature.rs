//! Stripe webhook signatures: `Stripe-Signature: t=…,v1=…[,v1=…]`, each `v1` the hex
//! HMAC-SHA256 of `"{t}.{raw body}"` under the endpoint's `whsec_…` secret.
//!
//! Any `v1` may match (Stripe sends several while a secret is rolled); other schemes (`v0`)
//! are ignored; the comparison is constant-time; the timestamp must be within five minutes
//! of our clock either way, so a captured delivery cannot be replayed later.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far the signed timestamp may be from now, in seconds, either way.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("no v1 signature matches the payload")]
    Mismatch,
    #[error("the signature timestamp is more than five minutes from now")]
    Stale,
}

impl SignatureError {
    pub fn code(self) -> &'static str {
        match self {
            SignatureError::Missing => "missing-signature",
            SignatureError::Malformed => "malformed-signature",
            SignatureError::Mismatch => "bad-signature",
            SignatureError::Stale => "stale-signature",
        }
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail; fall back to an empty key anyway
    // rather than panic (an empty key would simply never match).
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks `header` against `body`; `now` is Unix seconds.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                let t = value
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed)?;
                timestamp = Some(t);
            }
            // A v1 that is not 64 hex digits can never match; it does not void the others.
            "v1" => signatures.extend(decode_hex(value)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret, timestamp, body);
    let matched = signatures
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok());
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The header value Stripe would send for `body` at `timestamp` (tests and the fake Stripe).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let header = sign(BODY, SECRET, NOW);

        assert_eq!(verify(Some(&header), BODY, SECRET, NOW), Ok(()));
        assert_eq!(verify(Some(&header), BODY, SECRET, NOW + 300), Ok(()));
        assert_eq!(verify(Some(&header), BODY, SECRET, NOW - 300), Ok(()));
    }

    #[test]
    fn any_v1_may_match_and_other_schemes_are_ignored() {
        let good = sign(BODY, SECRET, NOW);
        let good_hex = good.split("v1=").nth(1).unwrap_or_default();
        let header = format!("t={NOW},v0=abc,v1={},v1={good_hex}", "00".repeat(32));

        assert_eq!(verify(Some(&header), BODY, SECRET, NOW), Ok(()));
    }

    #[test]
    fn forged_stale_and_malformed_headers_are_refused() {
        let header = sign(BODY, SECRET, NOW);
        let v0_only = format!("t={NOW},v0={}", "ab".repeat(32));

        assert_eq!(
            verify(Some(&header), b"{}", SECRET, NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, "whsec_other", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, SECRET, NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(Some(&header), BODY, SECRET, NOW - 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(None, BODY, SECRET, NOW),
            Err(SignatureError::Missing)
        );
        for bad in ["", "garbage", "t=soon,v1=00", &v0_only, "v1=abcd"] {
            assert_eq!(
                verify(Some(bad), BODY, SECRET, NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
