//! The shared booking panel (docs/panel.md), pure: its state, version and controller, who may
//! write which key, the shape every value must have, and how concurrent edits merge. The call
//! state machine owns one [`Panel`] and decides who hears of it (admitted participants only).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::protocol::{ErrorCode, PanelAction, ParticipantId, Role, ServerMessage};

/// The panel's state: one JSON object.
pub type PanelState = Map<String, Value>;

/// Largest `set` of one `panel_edit`, serialized.
pub const MAX_EDIT_BYTES: usize = 8 * 1024;
/// Largest panel state, serialized. Client edits that would pass it are refused; server writes
/// are not (a payment status must not be lost to a limit), only logged.
pub const MAX_STATE_BYTES: usize = 32 * 1024;
/// Longest free text (`organisation`, `purpose`), in characters.
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest `identity` field, in characters.
pub const MAX_IDENTITY_CHARS: usize = 200;
/// Most `extras` lines.
pub const MAX_EXTRAS: usize = 20;
/// Most people in `attendees` (and `filters.min_capacity`).
pub const MAX_ATTENDEES: u64 = 10_000;

const MAX_CODE_CHARS: usize = 64;
const MAX_EQUIPMENT: usize = 32;
const MAX_INSTANT_CHARS: usize = 100;

const STEPS: &[&str] = &["search", "slot", "details", "identify", "pay", "done"];
const KINDS: &[&str] = &["room", "court"];
/// `booking::catalogue::CustomerType`'s serde names (signalling does not depend on booking).
const CUSTOMER_TYPES: &[&str] = &["resident", "non_resident", "recognised_association", "other_association", "company"];
const IDENTITY_CHECKS: &[&str] = &["eid_shown", "known_person", "itsme_later", "other"];

/// Keys only the server writes ([`Panel::server_write`]); a client naming one is refused.
pub const SERVER_KEYS: &[&str] = &["quote", "hold", "payment", "reservation", "notice"];

/// Who may write a client key besides the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Writer {
    Agent,
    ControllerOrAgent,
}

/// The keys participants edit, as the table in docs/panel.md lists them.
const CLIENT_KEYS: &[(&str, Writer)] = &[
    ("open", Writer::Agent),
    ("step", Writer::ControllerOrAgent),
    ("kind", Writer::ControllerOrAgent),
    ("filters", Writer::ControllerOrAgent),
    ("resource_id", Writer::ControllerOrAgent),
    ("date", Writer::ControllerOrAgent),
    ("slot", Writer::ControllerOrAgent),
    ("attendees", Writer::ControllerOrAgent),
    ("extras", Writer::ControllerOrAgent),
    ("customer_type", Writer::ControllerOrAgent),
    ("organisation", Writer::ControllerOrAgent),
    ("purpose", Writer::ControllerOrAgent),
    ("identity", Writer::ControllerOrAgent),
    ("identity_confirmed", Writer::ControllerOrAgent),
    ("identity_check", Writer::Agent),
];

/// What the web layer hears of the panel (through [`crate::Effect::Panel`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PanelEvent {
    /// A participant's edit was applied; `keys` are the keys it changed.
    Edited { by: ParticipantId, role: Role, keys: Vec<String>, version: u64, state: PanelState },
    /// The agent asked for an action. Signalling does not apply it: the web layer carries it
    /// out and writes the outcome back with `server_panel` / `Hub::panel_update`.
    Action { by: ParticipantId, action: PanelAction, version: u64, state: PanelState },
    /// The panel is gone (the call ended, or was dropped because everyone left): its last state,
    /// so the web layer can release a hold.
    Closed { state: PanelState },
}

/// Why an edit was refused as a whole; nothing of it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    /// The key (or `base`, `set`, `state`) at fault, if one is.
    pub context: Option<String>,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>, context: Option<&str>) -> Refusal {
        Refusal { code, message: message.into(), context: context.map(str::to_string) }
    }

    /// The `error` for the sender; `re` names the request.
    pub fn to_message(&self, re: &str) -> ServerMessage {
        match &self.context {
            Some(context) => ServerMessage::error_in(self.code, self.message.clone(), Some(re), context.clone()),
            None => ServerMessage::error(self.code, self.message.clone(), Some(re)),
        }
    }
}

/// What became of an accepted edit's keys. Keys in neither list already had that value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub applied: Vec<String>,
    /// Changed by someone else since the edit's `base`: first writer wins.
    pub lost: Vec<String>,
}

/// The last change of one key. Kept after the key is removed, so that a stale edit cannot bring
/// back what someone else removed.
#[derive(Debug, Clone, Copy)]
struct Change {
    version: u64,
    /// `None`: the server.
    by: Option<ParticipantId>,
}

#[derive(Debug, Clone, Default)]
pub struct Panel {
    state: PanelState,
    version: u64,
    controller: Option<ParticipantId>,
    /// Who made the latest change (`None`: the server, or nobody yet).
    by: Option<ParticipantId>,
    last: HashMap<String, Change>,
}

impl Panel {
    pub fn new() -> Panel {
        Panel::default()
    }

    /// 0 until the first change: a panel nobody touched is sent to nobody.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn controller(&self) -> Option<ParticipantId> {
        self.controller
    }

    pub fn state(&self) -> &PanelState {
        &self.state
    }

    /// The `panel` message with the whole current state.
    pub fn message(&self) -> ServerMessage {
        ServerMessage::Panel {
            version: self.version,
            controller: self.controller,
            by: self.by,
            state: self.state.clone(),
        }
    }

    /// A participant's `panel_edit`. `role` is the sender's role in the call (the caller has
    /// checked they are admitted). Either the whole edit is refused (permission, shape, size) or
    /// it is merged key by key: a key changed by someone else after `base` is lost, the others
    /// apply, and the version goes up by one if anything changed.
    pub fn edit(&mut self, by: ParticipantId, role: Role, base: u64, set: PanelState) -> Result<Outcome, Refusal> {
        self.check_edit(by, role, base, &set)?;
        let mut outcome = Outcome::default();
        let mut next = self.state.clone();
        for (key, value) in set {
            let stale = self.last.get(&key).is_some_and(|c| base < c.version && c.by != Some(by));
            if stale {
                outcome.lost.push(key);
            } else if put(&mut next, &key, value) {
                outcome.applied.push(key);
            }
        }
        if outcome.applied.iter().any(|k| k == "identity") {
            // The citizen's confirmation and the agent's identity check were about the details
            // as they were; changed details need both again. Done here, in the same version, so
            // no payment can start in between with a stale "checked" (the page also clears its
            // tick box, but a page is not to be trusted with this).
            for key in ["identity_confirmed", "identity_check"] {
                if put(&mut next, key, Value::Null) && !outcome.applied.iter().any(|k| k == key) {
                    outcome.applied.push(key.to_string());
                }
            }
        }
        if outcome.applied.is_empty() {
            return Ok(outcome);
        }
        if serialized_len(&next) > MAX_STATE_BYTES {
            let msg = format!("the panel would exceed {MAX_STATE_BYTES} bytes");
            return Err(Refusal::new(ErrorCode::TooLarge, msg, Some("state")));
        }
        self.state = next;
        self.version += 1;
        self.by = Some(by);
        for key in &outcome.applied {
            self.last.insert(key.clone(), Change { version: self.version, by: Some(by) });
        }
        Ok(outcome)
    }

    fn check_edit(&self, by: ParticipantId, role: Role, base: u64, set: &PanelState) -> Result<(), Refusal> {
        match role {
            Role::Guest => {
                return Err(Refusal::new(ErrorCode::NotAllowed, "guests follow the panel but do not edit it", None))
            }
            Role::Citizen if self.controller != Some(by) => {
                let msg = "the civil servant has not handed you the panel";
                return Err(Refusal::new(ErrorCode::NotAllowed, msg, None));
            }
            Role::Citizen | Role::Agent => {}
        }
        if base > self.version {
            let msg = format!("base {base} is newer than the panel (version {})", self.version);
            return Err(Refusal::new(ErrorCode::Malformed, msg, Some("base")));
        }
        if set.is_empty() {
            return Err(Refusal::new(ErrorCode::Malformed, "set names no key", Some("set")));
        }
        if serialized_len(set) > MAX_EDIT_BYTES {
            let msg = format!("one edit is at most {MAX_EDIT_BYTES} bytes of JSON");
            return Err(Refusal::new(ErrorCode::TooLarge, msg, Some("set")));
        }
        for (key, value) in set {
            let writer = writer(key)?;
            if writer == Writer::Agent && role != Role::Agent {
                let msg = format!("only the civil servant sets {key}");
                return Err(Refusal::new(ErrorCode::NotAllowed, msg, Some(key)));
            }
            if !value.is_null() {
                check_value(key, value).map_err(|msg| Refusal::new(ErrorCode::Malformed, msg, Some(key)))?;
            }
        }
        Ok(())
    }

    /// Whether the value at `pointer` (RFC 6901, e.g. `/payment/id`) equals `expected`.
    pub fn has(&self, pointer: &str, expected: &Value) -> bool {
        let Some(path) = pointer.strip_prefix('/') else { return false };
        let (key, rest) = match path.find('/') {
            Some(i) => (&path[..i], &path[i..]),
            None => (path, ""),
        };
        self.state.get(key).and_then(|v| v.pointer(rest)).is_some_and(|v| v == expected)
    }

    /// Server-written keys (any key; `null` removes). Trusted: not validated, never lost. Returns
    /// whether anything changed (and the version went up).
    pub fn server_write(&mut self, set: PanelState) -> bool {
        let mut changed = Vec::new();
        for (key, value) in set {
            if put(&mut self.state, &key, value) {
                changed.push(key);
            }
        }
        if changed.is_empty() {
            return false;
        }
        self.version += 1;
        self.by = None;
        for key in changed {
            self.last.insert(key, Change { version: self.version, by: None });
        }
        let len = serialized_len(&self.state);
        if len > MAX_STATE_BYTES {
            tracing::warn!(len, "panel state over its limit after a server write");
        }
        true
    }

    /// The agent `by` hands control to `to` (the caller checked `to` may have it). Returns
    /// whether it changed.
    pub fn hand_to(&mut self, to: ParticipantId, by: ParticipantId) -> bool {
        if self.controller == Some(to) {
            return false;
        }
        self.controller = Some(to);
        self.version += 1;
        self.by = Some(by);
        true
    }

    /// After someone came or went: a controller no longer `in_call` gives control back to
    /// `agent` (an agent in the call, if any), and a panel without a controller gets `agent`.
    /// Returns whether participants must hear of it. Before the panel's first change this
    /// happens silently (version stays 0): an untouched panel is news to nobody, and its first
    /// `panel` message carries the controller anyway.
    pub fn settle(&mut self, in_call: impl Fn(ParticipantId) -> bool, agent: Option<ParticipantId>) -> bool {
        if self.controller.is_some_and(in_call) || self.controller == agent {
            return false;
        }
        self.controller = agent;
        if self.version == 0 {
            return false;
        }
        self.version += 1;
        self.by = None;
        true
    }

    /// Empties the panel (the call is over or dropped) and returns its last state if it had one.
    pub fn close(&mut self) -> Option<PanelEvent> {
        let state = std::mem::take(self).state;
        (!state.is_empty()).then_some(PanelEvent::Closed { state })
    }
}

/// Sets or (with `null`) removes a key; whether that changed anything.
fn put(state: &mut PanelState, key: &str, value: Value) -> bool {
    if value.is_null() {
        state.remove(key).is_some()
    } else if state.get(key) == Some(&value) {
        false
    } else {
        state.insert(key.to_string(), value);
        true
    }
}

fn serialized_len(v: &PanelState) -> usize {
    // Serializing a map of JSON values cannot fail; count a failure as too large all the same.
    serde_json::to_vec(v).map_or(usize::MAX, |b| b.len())
}

fn writer(key: &str) -> Result<Writer, Refusal> {
    if let Some((_, w)) = CLIENT_KEYS.iter().find(|(k, _)| *k == key) {
        return Ok(*w);
    }
    if SERVER_KEYS.contains(&key) {
        let msg = format!("{key} is written by the server only");
        return Err(Refusal::new(ErrorCode::NotAllowed, msg, Some(key)));
    }
    let mut context: String = key.chars().take(MAX_CODE_CHARS).collect();
    if context.len() < key.len() {
        context.push('…');
    }
    Err(Refusal::new(ErrorCode::Malformed, "no such panel key", Some(&context)))
}

/// The shape a client key's (non-null) value must have. The message says what was expected.
pub fn check_value(key: &str, v: &Value) -> Result<(), String> {
    match key {
        "open" | "identity_confirmed" => boolean(v),
        "step" => one_of(v, STEPS),
        "kind" => one_of(v, KINDS),
        "filters" => filters(v),
        "resource_id" => match v.as_u64() {
            Some(id) if id > 0 && i64::try_from(id).is_ok() => Ok(()),
            _ => Err("must be a positive integer id".into()),
        },
        "date" => date(v),
        "slot" => slot(v),
        "attendees" => whole(v, 1, MAX_ATTENDEES),
        "extras" => extras(v),
        "customer_type" => one_of(v, CUSTOMER_TYPES),
        "organisation" | "purpose" => text(v, MAX_TEXT_CHARS),
        "identity" => identity(v),
        "identity_check" => one_of(v, IDENTITY_CHECKS),
        _ => Err("no such panel key".into()),
    }
}

fn boolean(v: &Value) -> Result<(), String> {
    v.as_bool().map(|_| ()).ok_or_else(|| "must be true or false".into())
}

fn one_of(v: &Value, allowed: &[&str]) -> Result<(), String> {
    match v.as_str() {
        Some(s) if allowed.contains(&s) => Ok(()),
        _ => Err(format!("must be one of {}", allowed.join(", "))),
    }
}

fn whole(v: &Value, min: u64, max: u64) -> Result<(), String> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(()),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

fn text(v: &Value, max: usize) -> Result<(), String> {
    match v.as_str() {
        Some(s) if s.chars().count() <= max => Ok(()),
        _ => Err(format!("must be text of at most {max} characters")),
    }
}

/// A catalogue code: `snake_case` as the booking API names types and equipment, or with dashes
/// as extra services are coded (`catering-koffie`).
fn code(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s)
            if !s.is_empty()
                && s.len() <= MAX_CODE_CHARS
                && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') =>
        {
            Ok(())
        }
        _ => Err(format!("must be a code of at most {MAX_CODE_CHARS} characters a-z, 0-9, _ and -")),
    }
}

/// An object with only the `allowed` fields (each optional).
fn object<'a>(v: &'a Value, allowed: &[&str]) -> Result<&'a Map<String, Value>, String> {
    let Some(map) = v.as_object() else { return Err(format!("must be an object with {}", allowed.join(", "))) };
    if let Some(field) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        let field: String = field.chars().take(MAX_CODE_CHARS).collect();
        return Err(format!("has an unknown field {field:?} (allowed: {})", allowed.join(", ")));
    }
    Ok(map)
}

fn field(map: &Map<String, Value>, name: &str, check: impl Fn(&Value) -> Result<(), String>) -> Result<(), String> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(()),
        Some(v) => check(v).map_err(|e| format!("{name} {e}")),
    }
}

fn filters(v: &Value) -> Result<(), String> {
    let map = object(v, &["min_capacity", "wheelchair_accessible", "type", "equipment"])?;
    field(map, "min_capacity", |v| whole(v, 1, MAX_ATTENDEES))?;
    field(map, "wheelchair_accessible", boolean)?;
    field(map, "type", code)?;
    field(map, "equipment", |v| match v.as_array() {
        Some(items) if items.len() <= MAX_EQUIPMENT => items.iter().try_for_each(code),
        _ => Err(format!("must be a list of at most {MAX_EQUIPMENT} codes")),
    })
}

fn date(v: &Value) -> Result<(), String> {
    let ok = v.as_str().is_some_and(|s| {
        let shape = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        // The shape first: jiff also reads other spellings of a date.
        shape && s.parse::<jiff::civil::Date>().is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err("must be a date YYYY-MM-DD".into())
    }
}

/// An instant as the booking API writes it (`2026-12-05T10:00:00+01:00[Europe/Brussels]`), or
/// plain RFC 3339.
fn instant(v: &Value) -> Option<jiff::Timestamp> {
    let s = v.as_str().filter(|s| s.chars().count() <= MAX_INSTANT_CHARS)?;
    s.parse::<jiff::Zoned>().map(|z| z.timestamp()).or_else(|_| s.parse::<jiff::Timestamp>()).ok()
}

fn slot(v: &Value) -> Result<(), String> {
    let map = object(v, &["start", "end"])?;
    let (Some(start), Some(end)) = (map.get("start").and_then(instant), map.get("end").and_then(instant)) else {
        return Err("must have start and end, each a date and time with offset (RFC 3339)".into());
    };
    if end <= start {
        return Err("must end after it starts".into());
    }
    Ok(())
}

fn extras(v: &Value) -> Result<(), String> {
    let Some(items) = v.as_array().filter(|a| a.len() <= MAX_EXTRAS) else {
        return Err(format!("must be a list of at most {MAX_EXTRAS} extras"));
    };
    let mut seen = Vec::with_capacity(items.len());
    for item in items {
        let map = object(item, &["code", "quantity"])?;
        let (Some(c), Some(q)) = (map.get("code"), map.get("quantity")) else {
            return Err("every extra needs code and quantity".into());
        };
        code(c).map_err(|e| format!("code {e}"))?;
        whole(q, 1, 100).map_err(|e| format!("quantity {e}"))?;
        if seen.contains(&c) {
            return Err(format!("lists {c} twice"));
        }
        seen.push(c);
    }
    Ok(())
}

fn identity(v: &Value) -> Result<(), String> {
    let map = object(v, &["name", "address", "email"])?;
    for name in ["name", "address", "email"] {
        field(map, name, |v| text(v, MAX_IDENTITY_CHARS))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_client_key_has_a_check_and_no_key_is_both() {
        for (key, _) in CLIENT_KEYS {
            assert_ne!(check_value(key, &json!({"surely": "not valid"})), Err("no such panel key".into()), "{key}");
            assert!(!SERVER_KEYS.contains(key), "{key}");
        }
    }

    #[test]
    fn values_are_checked_strictly() {
        let good = [
            ("step", json!("identify")),
            ("kind", json!("court")),
            (
                "filters",
                json!({"min_capacity": 20, "wheelchair_accessible": true, "type": "party_hall", "equipment": ["projector"]}),
            ),
            ("filters", json!({})),
            ("resource_id", json!(12)),
            ("date", json!("2026-12-05")),
            (
                "slot",
                json!({"start": "2026-12-05T10:00:00+01:00[Europe/Brussels]", "end": "2026-12-05T12:00:00+01:00[Europe/Brussels]"}),
            ),
            ("slot", json!({"start": "2026-12-05T09:00:00Z", "end": "2026-12-05T11:00:00+01:00"})),
            ("attendees", json!(10_000)),
            ("extras", json!([{"code": "catering-koffie", "quantity": 1}, {"code": "cleaning", "quantity": 100}])),
            ("extras", json!([])),
            ("customer_type", json!("non_resident")),
            ("purpose", json!("é".repeat(500))),
            ("identity", json!({"name": "Jan Janssens", "address": "Markt 1, 9000 Gent", "email": "jan@example.be"})),
            ("identity", json!({"name": ""})),
            ("identity_confirmed", json!(true)),
            ("identity_check", json!("eid_shown")),
            ("open", json!(false)),
        ];
        for (key, v) in good {
            assert_eq!(check_value(key, &v), Ok(()), "{key} {v}");
        }
        let bad = [
            ("step", json!("checkout")),
            ("kind", json!("Room")),
            ("filters", json!({"colour": "red"})),
            ("filters", json!({"min_capacity": 0})),
            ("filters", json!({"equipment": "projector"})),
            ("filters", json!({"type": "Party Hall"})),
            ("resource_id", json!(0)),
            ("resource_id", json!(-3)),
            ("resource_id", json!("12")),
            ("resource_id", json!(12.5)),
            ("date", json!("2026-02-30")),
            ("date", json!("5/12/2026")),
            ("date", json!("2026-12-05T10:00:00")),
            ("slot", json!({"start": "2026-12-05T10:00:00+01:00"})),
            ("slot", json!({"start": "morgen", "end": "overmorgen"})),
            ("slot", json!({"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T10:00:00Z"})),
            ("slot", json!({"start": "2026-12-05T10:00:00Z", "end": "2026-12-05T11:00:00Z", "room": 1})),
            ("slot", json!("2026-12-05T10:00:00Z")),
            ("attendees", json!(0)),
            ("attendees", json!(10_001)),
            ("extras", json!([{"code": "catering"}])),
            ("extras", json!([{"code": "catering", "quantity": 101}])),
            ("extras", json!([{"code": "catering", "quantity": 1}, {"code": "catering", "quantity": 2}])),
            ("extras", json!([{"code": "catering", "quantity": 1, "price": 0}])),
            ("extras", json!((0..21).map(|i| json!({"code": format!("x{i}"), "quantity": 1})).collect::<Vec<_>>())),
            ("customer_type", json!("private")),
            ("purpose", json!("x".repeat(501))),
            ("organisation", json!(7)),
            ("identity", json!({"name": "x".repeat(201)})),
            ("identity", json!({"name": "Jan", "national_number": "85.07.30-033.61"})),
            ("identity", json!("Jan Janssens")),
            ("identity_confirmed", json!("yes")),
            ("identity_check", json!("trusted")),
            ("open", json!(1)),
        ];
        for (key, v) in bad {
            assert!(check_value(key, &v).is_err(), "{key} {v} passed");
        }
    }

    #[test]
    fn a_removed_key_still_wins_over_a_stale_edit() {
        let mut p = Panel::new();
        p.settle(|_| false, Some(1));
        p.edit(1, Role::Agent, 0, Map::from_iter([("date".into(), json!("2026-12-05"))])).unwrap();
        p.hand_to(2, 1);
        p.edit(1, Role::Agent, 2, Map::from_iter([("date".into(), Value::Null)])).unwrap();
        let out = p.edit(2, Role::Citizen, 2, Map::from_iter([("date".into(), json!("2026-12-06"))])).unwrap();
        assert_eq!(out.lost, ["date"]);
        assert!(!p.state().contains_key("date"));
    }
}
