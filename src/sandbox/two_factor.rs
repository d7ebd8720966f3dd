//! The second factor of Login v3 on the server side (protocol-transport-login.md §4.3, §4.5):
//! the channels REQUIRES_2FA lists for an account, `2fa_send_push` (SMS and Duo texts, Duo and
//! Keeper pushes that a test approves through `POST /__sandbox/approve-push`) and `2fa_validate`
//! (each channel's value type, backup codes, the "remember" duration capped per channel).

use std::sync::Arc;

use axum::http::StatusCode;

use crate::keeper::crypto::b64url_encode;
use crate::keeper::proto::authentication::{
    TwoFactorChannelInfo, TwoFactorChannelType, TwoFactorExpiration, TwoFactorPushType,
    TwoFactorSendPushRequest, TwoFactorValidateRequest, TwoFactorValidateResponse,
    TwoFactorValueType,
};

use super::account_policy::{TwoFactorAnswer, TwoFactorMethod};
use super::context::{constant_time_eq, decode, ApiError, Reply, Shared};
use super::login_steps::{login_token_expired, pending_login, remember_login};
use super::state::{now_ms, Account};
use super::totp;

/// Wrong second-factor codes one login may send before it is dropped.
const MAX_CODE_ATTEMPTS: u8 = 5;
/// The masked phone number SMS and Duo channels show.
const PHONE_NUMBER: &str = "+1 ***-***-0123";

/// Every second factor `account` can answer with, the authenticator first.
pub fn methods(account: &Account) -> Vec<TwoFactorMethod> {
    let policy = &account.policy;
    let totp = policy.totp_secret.as_ref().map(|_| TwoFactorMethod::Totp);
    totp.into_iter()
        .chain(policy.two_factor.iter().copied())
        .collect()
}

/// Whether a login of `account` must pass a second factor after the password.
pub fn required(account: &Account) -> bool {
    !methods(account).is_empty() || !account.policy.backup_codes.is_empty()
}

/// The channels REQUIRES_2FA lists; empty for an account with only backup codes (clients then
/// ask for a backup code, as Commander does).
pub fn channels(account: &Account) -> Vec<TwoFactorChannelInfo> {
    methods(account)
        .into_iter()
        .map(|method| channel(account, method))
        .collect()
}

fn channel(account: &Account, method: TwoFactorMethod) -> TwoFactorChannelInfo {
    let (channel_type, name) = match method {
        TwoFactorMethod::Totp => (TwoFactorChannelType::TwoFaCtTotp, "Authenticator App"),
        TwoFactorMethod::Sms => (TwoFactorChannelType::TwoFaCtSms, "Phone"),
        TwoFactorMethod::Duo => (TwoFactorChannelType::TwoFaCtDuo, "Duo Security"),
        TwoFactorMethod::Rsa => (TwoFactorChannelType::TwoFaCtRsa, "RSA SecurID"),
        TwoFactorMethod::KeeperPush => (TwoFactorChannelType::TwoFaCtKeeper, "Keeper Push"),
        TwoFactorMethod::Webauthn => (TwoFactorChannelType::TwoFaCtWebauthn, "Security Key"),
    };
    let phone = matches!(method, TwoFactorMethod::Sms | TwoFactorMethod::Duo);
    TwoFactorChannelInfo {
        channel_type: channel_type as i32,
        channel_uid: channel_uid(account, method),
        channel_name: name.to_owned(),
        phone_number: if phone {
            PHONE_NUMBER.to_owned()
        } else {
            String::new()
        },
        capabilities: if method == TwoFactorMethod::Duo {
            vec!["push".to_owned(), "sms".to_owned(), "phone".to_owned()]
        } else {
            Vec::new()
        },
        challenge: if method == TwoFactorMethod::Webauthn {
            format!(
                r#"{{"publicKey":{{"challenge":"{}","rpId":"keepersecurity.com"}}}}"#,
                b64url_encode(account.account_uid.as_bytes())
            )
        } else {
            String::new()
        },
        max_expiration: max_expiration(method) as i32,
        ..TwoFactorChannelInfo::default()
    }
}

/// The longest "remember this device" a channel allows. A text message or a push proves less
/// than a code generator, so the sandbox remembers them for shorter (its choice; Keeper's own
/// limits are set per enterprise).
pub fn max_expiration(method: TwoFactorMethod) -> TwoFactorExpiration {
    match method {
        TwoFactorMethod::Totp | TwoFactorMethod::Webauthn => TwoFactorExpiration::TwoFaExpNever,
        TwoFactorMethod::Sms => TwoFactorExpiration::TwoFaExp24Hours,
        TwoFactorMethod::Duo | TwoFactorMethod::Rsa | TwoFactorMethod::KeeperPush => {
            TwoFactorExpiration::TwoFaExp30Days
        }
    }
}

/// The TOTP channel keeps the account UID as its `channel_uid` (what earlier sandboxes sent);
/// the others add the method's name.
fn channel_uid(account: &Account, method: TwoFactorMethod) -> Vec<u8> {
    let mut uid = account.account_uid.as_bytes().to_vec();
    let suffix: &[u8] = match method {
        TwoFactorMethod::Totp => b"",
        TwoFactorMethod::Sms => b"-sms",
        TwoFactorMethod::Duo => b"-duo",
        TwoFactorMethod::Rsa => b"-rsa",
        TwoFactorMethod::KeeperPush => b"-keeper",
        TwoFactorMethod::Webauthn => b"-webauthn",
    };
    uid.extend_from_slice(suffix);
    uid
}

/// The method a `channel_uid` names; `Ok(None)` when the client sent none.
fn method_of(account: &Account, uid: &[u8]) -> Result<Option<TwoFactorMethod>, ApiError> {
    if uid.is_empty() {
        return Ok(None);
    }
    methods(account)
        .into_iter()
        .find(|m| channel_uid(account, *m) == uid)
        .map(Some)
        .ok_or_else(|| ApiError::bad_request("channel_uid is not a channel of this account"))
}

/// Keeper's name of a push type, as the admin route lists the pushes asked for.
fn push_name(push_type: i32) -> String {
    match TwoFactorPushType::try_from(push_type) {
        Ok(TwoFactorPushType::TwoFaPushNone) => "none".to_owned(),
        Ok(TwoFactorPushType::TwoFaPushSms) => "sms".to_owned(),
        Ok(TwoFactorPushType::TwoFaPushKeeper) => "keeper".to_owned(),
        Ok(TwoFactorPushType::TwoFaPushDuoPush) => "duo_push".to_owned(),
        Ok(TwoFactorPushType::TwoFaPushDuoText) => "duo_text".to_owned(),
        Ok(TwoFactorPushType::TwoFaPushDuoCall) => "duo_call".to_owned(),
        _ => format!("push_type_{push_type}"),
    }
}

/// What a `2fa_send_push` does for an account.
enum PushAction {
    /// Ask the owner to approve this (not yet approved) device: `approve-device` answers it.
    ApproveDevice,
    /// A code "sent" (logged, and shown by `GET /__sandbox/two-factor`).
    SendCode,
    /// A push waiting for `approve-push`.
    Wait,
    /// Nothing to send (push type NONE for an authenticator).
    Nothing,
}

/// `authentication/2fa_send_push`: a Keeper Push to approve a new device, or the account's own
/// second factor: an SMS or Duo text (the code is logged), a Duo or Keeper Push (waits for
/// `POST /__sandbox/approve-push`), or push type NONE ("2FA push" at the approval gate).
pub fn send_push(shared: &Arc<Shared>, body: &[u8]) -> Result<Reply, ApiError> {
    let request: TwoFactorSendPushRequest = decode(body, "TwoFactorSendPushRequest")?;
    let pending = pending_login(shared, &request.encrypted_login_token)?;
    let action = {
        let mut state = shared.write();
        let account = &mut state.accounts[pending.account];
        let approving = !account.policy.device_approved(&pending.device_token);
        let channel = method_of(account, &request.channel_uid)?;
        let has =
            |m: TwoFactorMethod| methods(account).contains(&m) && channel.is_none_or(|c| c == m);
        let action = match TwoFactorPushType::try_from(request.push_type) {
            Ok(TwoFactorPushType::TwoFaPushKeeper) if approving => PushAction::ApproveDevice,
            Ok(TwoFactorPushType::TwoFaPushNone) if has(TwoFactorMethod::Sms) => {
                PushAction::SendCode
            }
            Ok(TwoFactorPushType::TwoFaPushNone) if !methods(account).is_empty() => {
                PushAction::Nothing
            }
            Ok(TwoFactorPushType::TwoFaPushSms) if has(TwoFactorMethod::Sms) => {
                PushAction::SendCode
            }
            Ok(TwoFactorPushType::TwoFaPushDuoText | TwoFactorPushType::TwoFaPushDuoCall)
                if has(TwoFactorMethod::Duo) =>
            {
                PushAction::SendCode
            }
            Ok(TwoFactorPushType::TwoFaPushDuoPush) if has(TwoFactorMethod::Duo) => {
                PushAction::Wait
            }
            Ok(TwoFactorPushType::TwoFaPushKeeper) if has(TwoFactorMethod::KeeperPush) => {
                PushAction::Wait
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "push type {} is not available for this account",
                    request.push_type
                )))
            }
        };
        account
            .policy
            .two_factor_log
            .push(&push_name(request.push_type));
        match action {
            PushAction::ApproveDevice => {
                account
                    .policy
                    .note_pending(&pending.device_token)
                    .push_requested = true;
                tracing::info!(
                    email = %account.username,
                    "sandbox Keeper Push: device approval requested (POST /__sandbox/approve-device)"
                );
            }
            PushAction::SendCode => {
                let code = account.policy.two_factor_code.clone().unwrap_or_default();
                // The sandbox's stand-in for the text message: logged on purpose.
                tracing::info!(email = %account.username, code = %code, "sandbox text message: two-factor code");
            }
            PushAction::Wait => tracing::info!(
                email = %account.username,
                "sandbox push: waiting for approval (POST /__sandbox/approve-push)"
            ),
            PushAction::Nothing => {}
        }
        shared.changed();
        action
    };
    if matches!(action, PushAction::Wait) {
        if let Some(login) = shared.logins().get_mut(&request.encrypted_login_token) {
            login.progress.push_waiting = Some(request.expire_in);
        }
    }
    Ok(Reply::Empty)
}

/// Passes the second factor of every login of `account_index` waiting for a Duo or Keeper
/// push (`POST /__sandbox/approve-push`); returns how many.
pub fn approve_pushes(shared: &Shared, account_index: usize) -> usize {
    let mut approved = Vec::new();
    for login in shared.logins().values_mut() {
        if login.account != account_index {
            continue;
        }
        if let Some(expire_in) = login.progress.push_waiting.take() {
            login.progress.two_factor_passed = true;
            approved.push((login.device_token.clone(), expire_in));
        }
    }
    let mut state = shared.write();
    let account = &mut state.accounts[account_index];
    let cap = methods(account)
        .into_iter()
        .filter(|m| matches!(m, TwoFactorMethod::Duo | TwoFactorMethod::KeeperPush))
        .map(max_expiration)
        .max()
        .unwrap_or(TwoFactorExpiration::TwoFaExpImmediately);
    for (device, expire_in) in &approved {
        if let Some(until) = remember_until(*expire_in, cap) {
            account.policy.remember_two_factor(device, until);
        }
    }
    if !approved.is_empty() {
        shared.changed();
    }
    approved.len()
}

/// Logins of `account_index` waiting for a push approval.
pub fn pushes_waiting(shared: &Shared, account_index: usize) -> usize {
    shared
        .logins()
        .values()
        .filter(|l| l.account == account_index && l.progress.push_waiting.is_some())
        .count()
}

/// How a code was checked.
enum Checked {
    /// Accepted; remember the device at most this long.
    Accepted(TwoFactorExpiration),
    /// Wrong code.
    Wrong,
}

/// Checks `request` against the account's factors; a backup code is used up when it matches.
fn check(account: &mut Account, request: &TwoFactorValidateRequest) -> Result<Checked, ApiError> {
    let channel = method_of(account, &request.channel_uid)?;
    let value = request.value.trim();
    let fixed = |account: &Account| {
        account
            .policy
            .two_factor_code
            .as_deref()
            .is_some_and(|c| constant_time_eq(c.as_bytes(), value.as_bytes()))
    };
    let totp_ok = |account: &Account| {
        account
            .policy
            .totp_secret
            .as_ref()
            .is_some_and(|s| totp::verify(&s.0, value, totp::unix_now()))
    };
    let value_type = TwoFactorValueType::try_from(request.value_type).ok();
    let expected = match value_type {
        Some(TwoFactorValueType::TwoFaCodeTotp) => Some(TwoFactorMethod::Totp),
        Some(TwoFactorValueType::TwoFaCodeSms) => Some(TwoFactorMethod::Sms),
        Some(TwoFactorValueType::TwoFaCodeDuo) => Some(TwoFactorMethod::Duo),
        Some(TwoFactorValueType::TwoFaCodeRsa) => Some(TwoFactorMethod::Rsa),
        Some(TwoFactorValueType::TwoFaCodeNone) => None,
        _ => {
            return Err(ApiError::bad_request(format!(
                "value type {} is not a second factor of this account",
                request.value_type
            )))
        }
    };
    if let Some(method) = expected {
        if !methods(account).contains(&method) || channel.is_some_and(|c| c != method) {
            return Err(ApiError::bad_request(format!(
                "value type {} is not a second factor of this account",
                request.value_type
            )));
        }
        let ok = match method {
            TwoFactorMethod::Totp => totp_ok(account),
            _ => fixed(account),
        };
        return Ok(if ok {
            Checked::Accepted(max_expiration(method))
        } else {
            Checked::Wrong
        });
    }
    // CODE_NONE: a backup code, or (device approval by "2FA code") the account's own code.
    if required(account) && channel.is_none() {
        let backup = account
            .policy
            .backup_codes
            .iter()
            .position(|c| constant_time_eq(c.as_bytes(), value.as_bytes()));
        if let Some(index) = backup {
            account.policy.backup_codes.remove(index);
            return Ok(Checked::Accepted(TwoFactorExpiration::TwoFaExpNever));
        }
    }
    if !required(account) {
        return Err(ApiError::bad_request(
            "two-factor authentication is not enabled for this account",
        ));
    }
    let own = methods(account)
        .into_iter()
        .filter(|m| channel.is_none_or(|c| c == *m))
        .find(|m| match m {
            TwoFactorMethod::Totp => totp_ok(account),
            m if m.has_fixed_code() => fixed(account),
            _ => false,
        });
    Ok(match own {
        Some(method) => Checked::Accepted(max_expiration(method)),
        None => Checked::Wrong,
    })
}

/// `authentication/2fa_validate`: checks a code on the channel its value type names; at the
/// device-approval gate it approves the device, after the password it passes the second factor.
/// Answers a new login token.
pub fn validate(shared: &Arc<Shared>, body: &[u8]) -> Result<Reply, ApiError> {
    let request: TwoFactorValidateRequest = decode(body, "TwoFactorValidateRequest")?;
    let mut pending = pending_login(shared, &request.encrypted_login_token)?;
    let checked = {
        let mut state = shared.write();
        let account = &mut state.accounts[pending.account];
        let checked = check(account, &request)?;
        if let Checked::Accepted(cap) = checked {
            let policy = &mut account.policy;
            if !policy.device_approved(&pending.device_token) {
                policy.approve(&pending.device_token);
            }
            if let Some(until) = remember_until(request.expire_in, cap) {
                policy.remember_two_factor(&pending.device_token, until);
            }
            policy.two_factor_log.last_answer = Some(TwoFactorAnswer {
                value_type: request.value_type,
                channel_uid: b64url_encode(&request.channel_uid),
                expire_in: request.expire_in,
            });
            shared.changed();
        }
        checked
    };
    if let Checked::Wrong = checked {
        pending.progress.failed_codes = pending.progress.failed_codes.saturating_add(1);
        if pending.progress.failed_codes >= MAX_CODE_ATTEMPTS {
            shared.logins().remove(&request.encrypted_login_token);
            return Err(login_token_expired());
        }
        shared
            .logins()
            .insert(request.encrypted_login_token.clone(), pending);
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_totp",
            "The two-factor code is invalid",
        ));
    }
    pending.progress.two_factor_passed = true;
    pending.progress.failed_codes = 0;
    let token = crate::keeper::crypto::random_bytes(32);
    shared.logins().remove(&request.encrypted_login_token);
    remember_login(shared, token.clone(), pending)?;
    Ok(Reply::message(&TwoFactorValidateResponse {
        encrypted_login_token: token,
    }))
}

/// Until when `expireIn` (at most `cap`) remembers the second factor; `None` = ask every time.
fn remember_until(expire_in: i32, cap: TwoFactorExpiration) -> Option<i64> {
    const MINUTE: i64 = 60 * 1000;
    const HOUR: i64 = 60 * MINUTE;
    let wanted = TwoFactorExpiration::try_from(expire_in).ok()?;
    let span = match wanted.min(cap) {
        TwoFactorExpiration::TwoFaExpImmediately => return None,
        TwoFactorExpiration::TwoFaExp5Minutes => 5 * MINUTE,
        TwoFactorExpiration::TwoFaExp12Hours => 12 * HOUR,
        TwoFactorExpiration::TwoFaExp24Hours => 24 * HOUR,
        TwoFactorExpiration::TwoFaExp30Days => 30 * 24 * HOUR,
        TwoFactorExpiration::TwoFaExpNever => return Some(i64::MAX),
    };
    Some(now_ms().saturating_add(span))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEVER: TwoFactorExpiration = TwoFactorExpiration::TwoFaExpNever;

    #[test]
    fn remember_durations_follow_keepers_expiration_enum() {
        assert_eq!(remember_until(0, NEVER), None);
        assert_eq!(remember_until(5, NEVER), Some(i64::MAX));
        let thirty_days = remember_until(4, NEVER).unwrap() - now_ms();
        assert!((30 * 24 * 3600 * 1000 - 1000..=30 * 24 * 3600 * 1000).contains(&thirty_days));
        assert_eq!(remember_until(42, NEVER), None);
    }

    #[test]
    fn remember_durations_are_capped_by_the_channel() {
        let day = remember_until(5, TwoFactorExpiration::TwoFaExp24Hours).unwrap() - now_ms();
        assert!((24 * 3600 * 1000 - 1000..=24 * 3600 * 1000).contains(&day));
        assert_eq!(
            max_expiration(TwoFactorMethod::Sms),
            TwoFactorExpiration::TwoFaExp24Hours
        );
        assert_eq!(max_expiration(TwoFactorMethod::Totp), NEVER);
    }

    #[test]
    fn push_types_are_named_as_keeper_names_them() {
        assert_eq!(push_name(1), "sms");
        assert_eq!(push_name(3), "duo_push");
        assert_eq!(push_name(2), "keeper");
        assert_eq!(push_name(99), "push_type_99");
    }
}
