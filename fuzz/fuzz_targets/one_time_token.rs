//! The one-time access token a user pastes: `<REGION or host>:<b64url secret>`.
#![no_main]

use gw_provision::keeper::ksm::OneTimeToken;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = text.parse::<OneTimeToken>() {
        // The canonical text names the same prefix and secret.
        let again: OneTimeToken = token.expose().parse().expect("a token's text parses");
        assert_eq!(again.prefix(), token.prefix());
        assert_eq!(again.secret(), token.secret());
        let _ = token.client_id();
        let _ = token.expose_secret();
    }
});
