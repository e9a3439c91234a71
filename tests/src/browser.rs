//! Running the Node/Playwright scripts of `tests/e2e/` against a real server, in headless
//! Chromium, inside a loopback-only network namespace (see /work/shared/TESTING.md).
//!
//! A browser test is a plain `#[test]` that calls [`run`]: it checks the tools first (and fails
//! loudly, never skips, when one is missing), enters a fresh namespace, and only then starts the
//! tokio runtime, so every thread of the test lives in the namespace. Inside, [`spawn_app`] starts
//! the server on a known port (links the API hands out must point where the browser can open them)
//! and [`run_script`] runs `node tests/e2e/SCRIPT` with JSON on stdin.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::{netns, Backend, TestApp};

pub const CHROMIUM: &str = "/usr/bin/chromium";
/// The scripts have their own limits (about a minute); this only catches a hung node.
const NODE_TIMEOUT: Duration = Duration::from_secs(150);

pub fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e")
}

/// Everything a browser run needs, checked up front so that a missing tool says what to do
/// instead of surfacing as an obscure failure half-way.
pub fn preflight() {
    const HINT: &str = "run scripts/test, which installs it (or: apt-get install chromium nodejs npm; \
                        cd tests/e2e && npm ci)";
    match std::process::Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!("`node --version` failed ({}); {HINT}", o.status),
        Err(e) => panic!("node is not available ({e}); {HINT}"),
    }
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing; {HINT}");
    for package in ["playwright-core", "axe-core"] {
        let manifest = e2e_dir().join("node_modules").join(package).join("package.json");
        assert!(
            manifest.exists(),
            "{} is missing (npm packages of tests/e2e not installed); {HINT}",
            manifest.display()
        );
    }
}

/// Chromium is heavy for two cores: the browser tests of one test binary run one at a time.
static ONE_BROWSER_TEST_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `test` in a fresh loopback-only namespace on a runtime of `threads` workers, one browser
/// test at a time. `before` runs in the namespace before the runtime starts (e.g. firewall rules).
pub fn run_with<F: Future>(threads: usize, before: impl FnOnce(), test: impl FnOnce() -> F) -> F::Output {
    let _one = ONE_BROWSER_TEST_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    preflight();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    // First the namespace, then every thread and process of the test: the runtime is built by hand
    // because #[tokio::test] would start its worker threads before this line, in the host's
    // network namespace.
    netns::loopback_only();
    before();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(test())
}

/// [`run_with`] with two workers and nothing before.
pub fn run<F: Future>(test: impl FnOnce() -> F) -> F::Output {
    run_with(2, || {}, test)
}

/// The server on a known 127.0.0.1 port, over SQLite (PostgreSQL on the host's 127.0.0.1 is not
/// reachable from inside the namespace), with links pointing at that port.
pub async fn spawn_app(tweak: impl FnOnce(&mut balie_web::Config)) -> TestApp {
    // Free now, and nothing else runs in this fresh namespace that could take it before the
    // server binds it.
    let addr: SocketAddr = {
        let probe = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port on 127.0.0.1");
        probe.local_addr().expect("local address")
    };
    let base = format!("http://{addr}");
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.listen = addr;
        c.public_url = base.clone();
        tweak(c);
    })
    .await;
    assert_eq!(app.base, base, "the server listens where its links point");
    app
}

/// The outcome of one script run.
pub struct ScriptRun {
    pub output: std::process::Output,
}

impl ScriptRun {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Echoes the run (shown with --nocapture or on failure), asserts it succeeded and returns the
    /// JSON summary it printed.
    pub fn summary(&self, script: &str) -> serde_json::Value {
        let (stdout, stderr) = (self.stdout(), self.stderr());
        println!("---- node tests/e2e/{script}: {} ----\n{stdout}", self.output.status);
        eprintln!("{stderr}");
        assert!(
            self.output.status.success(),
            "tests/e2e/{script} failed ({}): {}",
            self.output.status,
            stderr.lines().filter(|l| l.starts_with("e2e: ")).collect::<Vec<_>>().join(" / ")
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{script} printed no JSON summary ({e}): {stdout}"))
    }
}

/// `node tests/e2e/SCRIPT` with `input` on stdin (tokens stay out of `ps`). The child inherits
/// this thread's network namespace, and Chromium inherits it from node.
pub async fn run_script(script: &str, input: &str) -> ScriptRun {
    let mut child = tokio::process::Command::new("node")
        .arg(e2e_dir().join(script))
        .current_dir(e2e_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start node");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("write the script's input");
    drop(stdin);
    // Read both pipes while waiting, so that a hung run still shows how far it got.
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let status = match tokio::time::timeout(NODE_TIMEOUT, child.wait()).await {
        Ok(status) => status.expect("node runs"),
        Err(_) => {
            let _ = child.kill().await;
            let (out, err) = (stdout.await.unwrap_or_default(), stderr.await.unwrap_or_default());
            panic!(
                "node tests/e2e/{script} did not finish within {NODE_TIMEOUT:?}; its output so far:\n{}\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&err)
            );
        }
    };
    let (stdout, stderr) = (stdout.await.expect("stdout reader"), stderr.await.expect("stderr reader"));
    ScriptRun { output: std::process::Output { status, stdout, stderr } }
}

fn drain(mut pipe: impl AsyncRead + Unpin + Send + 'static) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf).await;
        buf
    })
}
