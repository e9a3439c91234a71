//! Starts `tests/py/smtp_sink.py` (a real aiosmtpd server) on a free loopback port and reads
//! what it received. The process is killed when the sink is dropped, even if the test panics.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::python::{python_with, script, AIOSMTPD};

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

/// One message as the server received it.
pub struct Received {
    pub envelope: serde_json::Value,
    pub eml: PathBuf,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let python = python_with(&AIOSMTPD);
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(&python)
            .arg(script("smtp_sink.py"))
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {python} smtp_sink.py: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let Some(port) = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()) else {
            let _ = child.kill();
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("smtp_sink.py did not start (said {line:?}):\n{err}");
        };
        SmtpSink { child, port, dir }
    }

    /// Waits (at most 10 s) until `n` messages have arrived and returns them in order.
    pub fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(Instant::now() < deadline, "only {} of {n} messages arrived", received.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn received(&self) -> Vec<Received> {
        let mut emls: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        emls.sort();
        emls.into_iter()
            .map(|eml| {
                let envelope = std::fs::read_to_string(eml.with_extension("json")).unwrap();
                Received { envelope: serde_json::from_str(&envelope).unwrap(), eml }
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
