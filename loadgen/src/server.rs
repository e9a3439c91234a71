//! The balie server under load: started by the load generator (pinned to its own CPU) or already
//! running elsewhere, and its CPU time and memory read from /proc.

use anyhow::{bail, Context};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub base: String,
    pub pid: Option<u32>,
    child: Option<Child>,
    _dir: Option<TempDir>,
}

/// A directory removed on drop, for the spawned server's SQLite database.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Server {
    /// A server someone else started; its CPU time is known only with `pid`.
    pub fn external(base: String, pid: Option<u32>) -> Server {
        Server { base, pid, child: None, _dir: None }
    }

    /// Starts `binary` on a free loopback port with a fresh SQLite database, pinned to `cpus`
    /// (a taskset list such as "0") when given, and waits until it is ready.
    pub async fn spawn(binary: &Path, cpus: Option<&str>, join_burst: u32) -> anyhow::Result<Server> {
        let addr: SocketAddr = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?;
        let base = format!("http://{addr}");
        let dir = std::env::temp_dir().join(format!("balie-loadgen-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let dir = TempDir(dir);
        let mut command = match cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["--cpu-list", cpus]).arg(binary);
                c
            }
            None => Command::new(binary),
        };
        command
            .env("BALIE_LISTEN", addr.to_string())
            .env("BALIE_PUBLIC_URL", &base)
            .env("DATABASE_URL", format!("sqlite://{}/balie.db?mode=rwc", dir.0.display()))
            .env("BALIE_MEDIA_IPS", "127.0.0.1")
            .env("BALIE_JOIN_BURST", join_burst.to_string())
            .env("BALIE_RATE_BURST", "100000")
            .env("BALIE_RATE_PER_SECOND", "100000")
            .env("RUST_LOG", std::env::var("LOADGEN_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let child = command.spawn().with_context(|| format!("start {}", binary.display()))?;
        let server = Server { base, pid: Some(child.id()), child: Some(child), _dir: Some(dir) };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                bail!("the server at {} was not ready within 30 s", self.base);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// User + system CPU seconds the server has used so far.
    pub fn cpu_seconds(&self) -> Option<f64> {
        self.pid.and_then(|pid| cpu_seconds(&format!("/proc/{pid}/stat")))
    }

    /// Resident memory in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        self.pid.and_then(|pid| rss_kib(&format!("/proc/{pid}/status")))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // SIGTERM first: the server shuts down gracefully and leaves no stray UDP sockets.
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// utime + stime from a /proc/…/stat file, in seconds.
pub fn cpu_seconds(stat_path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let per_second = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok().flatten().unwrap_or(100);
    Some(ticks as f64 / per_second as f64)
}

/// VmRSS from a /proc/…/status file.
pub fn rss_kib(status_path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status_path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
