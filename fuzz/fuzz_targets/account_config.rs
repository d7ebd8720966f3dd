//! gw-provision's config file, Commander's `config.json` (the same parser), and the value of
//! `GW_PROVISION_CONFIG_B64` (base64 or plain JSON of the same).
#![no_main]

use gw_provision::fuzzing::{account_config, config_b64};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let commander = selector & 1 == 1;
    let text = if selector & 2 == 2 {
        match config_b64(text) {
            Ok(decoded) => decoded,
            Err(_) => return,
        }
    } else {
        text.to_owned()
    };
    if let Ok(rendered) = account_config(commander, &text) {
        // What `save` writes must load again, unchanged by another save.
        let again = account_config(commander, &rendered).expect("a saved config loads");
        assert_eq!(again, rendered);
    }
});
