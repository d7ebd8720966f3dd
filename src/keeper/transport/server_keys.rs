//! Keeper's published server public keys and the key a request is encrypted to.
//!
//! The transmission key of every request is encrypted to one of these (protocol-transport-login.md
//! §1.3). Ids 7–18 are P-256 points (Keeper ECIES), ids 1–6 are legacy RSA-2048 keys (PKCS#1 v1.5);
//! the values are Keeper's own, as published in Commander's `rest_api.py`.

use crate::keeper::crypto::{
    b64url_decode, ecies_encrypt, rsa_encrypt, AesKey, CryptoError, EcPublicKey, RsaPublicKey,
};

/// The key id both official clients start with.
pub const DEFAULT_SERVER_KEY_ID: i32 = 7;

/// Keeper's EC server keys, ids 7–18 (b64url of the uncompressed SEC1 point).
const EC_SERVER_KEYS: [(i32, &str); 12] = [
    (
        7,
        "BK9w6TZFxE6nFNbMfIpULCup2a8xc6w2tUTABjxny7yFmxW0dAEojwC6j6zb5nTlmb1dAx8nwo3qF7RPYGmloRM",
    ),
    (
        8,
        "BKnhy0obglZJK-igwthNLdknoSXRrGB-mvFRzyb_L-DKKefWjYdFD2888qN1ROczz4n3keYSfKz9Koj90Z6w_tQ",
    ),
    (
        9,
        "BAsPQdCpLIGXdWNLdAwx-3J5lNqUtKbaOMV56hUj8VzxE2USLHuHHuKDeno0ymJt-acxWV1xPlBfNUShhRTR77g",
    ),
    (
        10,
        "BNYIh_Sv03nRZUUJveE8d2mxKLIDXv654UbshaItHrCJhd6cT7pdZ_XwbdyxAOCWMkBb9AZ4t1XRCsM8-wkEBRg",
    ),
    (
        11,
        "BA6uNfeYSvqagwu4TOY6wFK4JyU5C200vJna0lH4PJ-SzGVXej8l9dElyQ58_ljfPs5Rq6zVVXpdDe8A7Y3WRhk",
    ),
    (
        12,
        "BMjTIlXfohI8TDymsHxo0DqYysCy7yZGJ80WhgOBR4QUd6LBDA6-_318a-jCGW96zxXKMm8clDTKpE8w75KG-FY",
    ),
    (
        13,
        "BJBDU1P1H21IwIdT2brKkPqbQR0Zl0TIHf7Bz_OO9jaNgIwydMkxt4GpBmkYoprZ_DHUGOrno2faB7pmTR7HhuI",
    ),
    (
        14,
        "BJFF8j-dH7pDEw_U347w2CBM6xYM8Dk5fPPAktjib-opOqzvvbsER-WDHM4ONCSBf9O_obAHzCyygxmtpktDuiE",
    ),
    (
        15,
        "BDKyWBvLbyZ-jMueORl3JwJnnEpCiZdN7yUvT0vOyjwpPBCDf6zfL4RWzvSkhAAFnwOni_1tQSl8dfXHbXqXsQ8",
    ),
    (
        16,
        "BDXyZZnrl0tc2jdC5I61JjwkjK2kr7uet9tZjt8StTiJTAQQmnVOYBgbtP08PWDbecxnHghx3kJ8QXq1XE68y8c",
    ),
    (
        17,
        "BFX68cb97m9_sweGdOVavFM3j5ot6gveg6xT4BtGahfGhKib-zdZyO9pwvv1cBda9ahkSzo1BQ4NVXp9qRyqVGU",
    ),
    (
        18,
        "BNhngQqTT1bPKxGuB6FhbPTAeNVFl8PKGGSGo5W06xWIReutm6ix6JPivqnbvkydY-1uDQTr-5e6t70G01Bb5JA",
    ),
];

/// Keeper's RSA server keys, ids 1–6 (b64url of DER PKCS#1 `RSAPublicKey`).
const RSA_SERVER_KEYS: [(i32, &str); 6] = [
    (
        1,
        concat!(
            "MIIBCgKCAQEA9Z_CZzxiNUz8-npqI4V10-zW3AL7-M4UQDdd_17759Xzm0MOEfHO",
            "OsOgZxxNK1DEsbyCTCE05fd3Hz1mn1uGjXvm5HnN2mL_3TOVxyLU6VwH9EDInnj4",
            "DNMFifs69il3KlviT3llRgPCcjF4xrF8d4SR0_N3eqS1f9CBJPNEKEH-am5Xb_Fq",
            "AlOUoXkILF0UYxA_jNLoWBSq-1W58e4xDI0p0GuP0lN8f97HBtfB7ijbtF-VxIXt",
            "xRy-4jA49zK-CQrGmWqIm5DzZcBvUtVGZ3UXd6LeMXMJOifvuCneGC2T2uB6G2g5",
            "yD54-onmKIETyNX0LtpR1MsZmKLgru5ugwIDAQAB",
        ),
    ),
    (
        2,
        concat!(
            "MIIBCgKCAQEAkOpym7xC3sSysw5DAidLoVF7JUgnvXejbieDWmEiD-DQOKxzfQqY",
            "HoFfeeix__bx3wMW3I8cAc8zwZ1JO8hyB2ON732JE2Zp301GAUMnAK_rBhQWmYKP",
            "_-uXSKeTJPiuaW9PVG0oRJ4MEdS-t1vIA4eDPhI1EexHaY3P2wHKoV8twcGvdWUZ",
            "B5gxEpMbx5CuvEXptnXEJlxKou3TZu9uwJIo0pgqVLUgRpW1RSRipgutpUslBnQ7",
            "2Bdbsry0KKVTlcPsudAnnWUtsMJNgmyQbESPm-aVv-GzdVUFvWKpKkAxDpNArPMf",
            "0xt8VL2frw2LDe5_n9IMFogUiSYt156_mQIDAQAB",
        ),
    ),
    (
        3,
        concat!(
            "MIIBCgKCAQEAyvxCWbLvtMRmq57oFg3mY4DWfkb1dir7b29E8UcwcKDcCsGTqoIh",
            "ubU2pO46TVUXmFgC4E-Zlxt-9F-YA-MY7i_5GrDvySwAy4nbDhRL6Z0kz-rqUirg",
            "m9WWsP9v-X_BwzARqq83HNBuzAjf3UHgYDsKmCCarVAzRplZdT3Q5rnNiYPYSHzw",
            "fUhKEAyXk71UdtleD-bsMAmwnuYHLhDHiT279An_Ta93c9MTqa_Tq2Eirl_NXn1R",
            "dtbNohmMXldAH-C8uIh3Sz8erS4hZFSdUG1WlDsKpyRouNPQ3diorbO88wEAgpHj",
            "XkOLj63d1fYJBFG0yfu73U80aEZehQkSawIDAQAB",
        ),
    ),
    (
        4,
        concat!(
            "MIIBCgKCAQEA0TVoXLpgluaqw3P011zFPSIzWhUMBqXT-Ocjy8NKjJbdrbs53eRF",
            "Kk1waeB3hNn5JEKNVSNbUIe-MjacB9P34iCfKtdnrdDB8JXx0nIbIPzLtcJC4HCY",
            "ASpjX_TVXrU9BgeCE3NUtnIxjHDy8PCbJyAS_Pv299Q_wpLWnkkjq70ZJ2_fX-Ob",
            "bQaZHwsWKbRZ_5sD6rLfxNACTGI_jo9-vVug6AdNq96J7nUdYV1cG-INQwJJKMcA",
            "bKQcLrml8CMPc2mmf0KQ5MbS_KSbLXHUF-81AsZVHfQRSuigOStQKxgSGL5osY4N",
            "rEcODbEXtkuDrKNMsZYhijKiUHBj9vvgKwIDAQAB",
        ),
    ),
    (
        5,
        concat!(
            "MIIBCgKCAQEAueOWC26w-HlOLW7s88WeWkXpjxK4mkjqngIzwbjnsU9145R51Hvs",
            "ILvjXJNdAuueVDHj3OOtQjfUM6eMMLr-3kaPv68y4FNusvB49uKc5ETI0HtHmHFS",
            "n9qAZvC7dQHSpYqC2TeCus-xKeUciQ5AmSfwpNtwzM6Oh2TO45zAqSA-QBSk_uv9",
            "TJu0e1W1AlNmizQtHX6je-mvqZCVHkzGFSQWQ8DBL9dHjviI2mmWfL_egAVVhBgT",
            "FXRHg5OmJbbPoHj217Yh-kHYA8IWEAHylboH6CVBdrNL4Na0fracQVTm-nOWdM95",
            "dKk3fH-KJYk_SmwB47ndWACLLi5epLl9vwIDAQAB",
        ),
    ),
    (
        6,
        concat!(
            "MIIBCgKCAQEA2PJRM7-4R97rHwY_zCkFA8B3llawb6gF7oAZCpxprl6KB5z2cqLA",
            "vUfEOBtnr7RIturX04p3ThnwaFnAR7ADVZWBGOYuAyaLzGHDI5mvs8D-NewG9vw8",
            "qRkTT7Mb8fuOHC6-_lTp9AF2OA2H4QYiT1vt43KbuD0Y2CCVrOTKzDMXG8msl_Jv",
            "AKt4axY9RGUtBbv0NmpkBCjLZri5AaTMgjLdu8XBXCqoLx7qZL-Bwiv4njw-ZAI4",
            "jIszJTdGzMtoQ0zL7LBj_TDUBI4Qhf2bZTZlUSL3xeDWOKmd8Frksw3oKyJ17oCQ",
            "K-EGau6EaJRGyasBXl8uOEWmYYgqOWirNwIDAQAB",
        ),
    ),
];

/// A server public key of either algorithm Keeper uses for transmission keys.
#[derive(Clone)]
pub enum ServerPublicKey {
    /// P-256 key; the transmission key is sealed with Keeper ECIES (125 bytes).
    Ec(EcPublicKey),
    /// RSA-2048 key; the transmission key is sealed with PKCS#1 v1.5 (256 bytes).
    Rsa(RsaPublicKey),
}

impl std::fmt::Debug for ServerPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerPublicKey::Ec(_) => f.write_str("ServerPublicKey::Ec"),
            ServerPublicKey::Rsa(_) => f.write_str("ServerPublicKey::Rsa"),
        }
    }
}

/// A server public key together with the id the server knows it by (`ApiRequest.publicKeyId`).
#[derive(Debug, Clone)]
pub struct ServerKey {
    id: i32,
    key: ServerPublicKey,
}

impl ServerKey {
    /// Pairs an id with a key, e.g. a sandbox's own EC key.
    pub fn new(id: i32, key: ServerPublicKey) -> Self {
        ServerKey { id, key }
    }

    /// The key Keeper's production servers know as `id` (1–18), if there is one.
    pub fn builtin(id: i32) -> Option<ServerKey> {
        // The tables are constants checked by a unit test, so a parse failure cannot happen at
        // run time; `ok()` keeps this path free of panics anyway.
        if let Some((_, text)) = EC_SERVER_KEYS.iter().find(|(key_id, _)| *key_id == id) {
            let bytes = b64url_decode(text).ok()?;
            let key = EcPublicKey::from_uncompressed(&bytes).ok()?;
            return Some(ServerKey::new(id, ServerPublicKey::Ec(key)));
        }
        if let Some((_, text)) = RSA_SERVER_KEYS.iter().find(|(key_id, _)| *key_id == id) {
            let bytes = b64url_decode(text).ok()?;
            let key = RsaPublicKey::from_pkcs1_der(&bytes).ok()?;
            return Some(ServerKey::new(id, ServerPublicKey::Rsa(key)));
        }
        None
    }

    /// The id sent as `ApiRequest.publicKeyId`.
    pub fn id(&self) -> i32 {
        self.id
    }

    /// The public key itself.
    pub fn key(&self) -> &ServerPublicKey {
        &self.key
    }

    /// Encrypts a transmission key to this server key (`ApiRequest.encryptedTransmissionKey`).
    pub fn encrypt_transmission_key(
        &self,
        transmission_key: &AesKey,
    ) -> Result<Vec<u8>, CryptoError> {
        match &self.key {
            ServerPublicKey::Ec(key) => Ok(ecies_encrypt(key, transmission_key.as_bytes())),
            ServerPublicKey::Rsa(key) => rsa_encrypt(key, transmission_key.as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_id_from_1_to_18_parses() {
        for id in 1..=18 {
            let key = ServerKey::builtin(id).unwrap_or_else(|| panic!("key {id} missing"));
            assert_eq!(key.id(), id);
            let expect_ec = id >= 7;
            assert_eq!(
                matches!(key.key(), ServerPublicKey::Ec(_)),
                expect_ec,
                "id {id}"
            );
        }
    }

    #[test]
    fn unknown_ids_have_no_builtin_key() {
        for id in [0, 19, 107, 136, -1] {
            assert!(ServerKey::builtin(id).is_none(), "id {id}");
        }
    }

    #[test]
    fn ec_wrapped_transmission_key_is_125_bytes_and_rsa_is_256() {
        let tk = AesKey::generate();
        for id in 7..=18 {
            let key = ServerKey::builtin(id).unwrap();
            assert_eq!(key.encrypt_transmission_key(&tk).unwrap().len(), 125);
        }
        for id in 1..=6 {
            let key = ServerKey::builtin(id).unwrap();
            assert_eq!(key.encrypt_transmission_key(&tk).unwrap().len(), 256);
        }
    }

    #[test]
    fn key_7_is_the_documented_point() {
        let ServerPublicKey::Ec(key) = ServerKey::builtin(7).unwrap().key().clone() else {
            panic!("key 7 is EC");
        };
        assert_eq!(
            crate::keeper::crypto::b64url_encode(&key.to_uncompressed()),
            "BK9w6TZFxE6nFNbMfIpULCup2a8xc6w2tUTABjxny7yFmxW0dAEojwC6j6zb5nTlmb1dAx8nwo3qF7RPYGmloRM"
        );
    }
}
