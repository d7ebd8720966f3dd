//! The KSM config a gateway is given: base64 of JSON (`KSM_CONFIG`) or the JSON itself.
#![no_main]

use gw_provision::keeper::ksm::KsmConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = KsmConfig::from_base64_or_json(text) {
        // What we write, the SDKs' loader (and ours) reads back the same.
        let json = config.to_json();
        let again = KsmConfig::from_json(&json).expect("a written KSM config reads back");
        assert_eq!(again.to_json(), json);
        let b64 = config.to_base64();
        assert!(KsmConfig::from_base64_or_json(&b64).is_ok());
    }
});
