//! Runs the Python helpers in `tests/py/`: independent parsers (the stdlib `email` package,
//! PyPI `icalendar`) and a real SMTP server (`aiosmtpd`). A missing interpreter or module fails
//! the test with what to install: these tests are never skipped.

#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a Python module comes from, for the failure message.
pub struct Module {
    pub import: &'static str,
    pub debian: &'static str,
    pub pypi: &'static str,
}

pub const EMAIL: Module = Module { import: "email", debian: "python3", pypi: "(standard library)" };
pub const ICALENDAR: Module = Module { import: "icalendar", debian: "python3-icalendar", pypi: "icalendar" };
pub const AIOSMTPD: Module = Module { import: "aiosmtpd", debian: "python3-aiosmtpd", pypi: "aiosmtpd" };

/// A helper script in `mail/tests/py/`; written so that other crates' tests (`tests/`, the web
/// end to end) can include this module with `#[path]` and find the same scripts.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mail/tests/py").join(name)
}

/// The first interpreter that can import `module`: `$BALIE_PYTHON`, then `python3` on PATH,
/// then Debian's `/usr/bin/python3` (Debian's python3-* packages install there, which a
/// pyenv or venv `python3` earlier on PATH does not see).
pub fn python_with(module: &Module) -> String {
    let mut candidates: Vec<String> = std::env::var("BALIE_PYTHON").into_iter().collect();
    candidates.extend(["python3".to_string(), "/usr/bin/python3".to_string()]);
    for python in &candidates {
        let ok = Command::new(python)
            .args(["-c", &format!("import {}", module.import)])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return python.clone();
        }
    }
    panic!(
        "\n\nThis test needs Python 3 with the `{}` module, and none of {candidates:?} has it.\n\
         Install it with   apt-get install -y {}\n\
         or                pip install {}   (then point BALIE_PYTHON at that python3 if needed)\n\
         This test is never skipped.\n\n",
        module.import, module.debian, module.pypi
    );
}

/// Runs `tests/py/<script>` with `args` and parses what it prints as JSON.
pub fn run_json(module: &Module, script_name: &str, args: &[&Path]) -> serde_json::Value {
    let python = python_with(module);
    let out = Command::new(&python)
        .arg(script(script_name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {python} {script_name}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{python} {script_name} failed ({}):\n{}\n{stdout}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script_name} printed no JSON ({e}):\n{stdout}"))
}

/// Parses an `.eml` file with Python's `email` package (policy.default, strict about
/// structure, decodes RFC 2047 headers and transfer encodings).
pub fn parse_eml(path: &Path) -> serde_json::Value {
    run_json(&EMAIL, "parse_eml.py", &[path])
}

/// The decoded parts of a parsed message with this content type.
pub fn parts<'a>(eml: &'a serde_json::Value, content_type: &str) -> Vec<&'a serde_json::Value> {
    eml["parts"].as_array().unwrap().iter().filter(|p| p["content_type"] == content_type).collect()
}
