//! The HTTP side: sign in as the demo agent and create calls with personal links.

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::json;

pub struct Api {
    base: String,
    http: reqwest::Client,
    cookie: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    pub participant_id: i64,
    pub role: String,
    pub url: String,
}

impl Link {
    /// The token: the link's fragment.
    pub fn token(&self) -> &str {
        self.url.rsplit_once('#').map(|(_, t)| t).unwrap_or("")
    }
}

impl Api {
    pub async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{base}/api/v1/sessie"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .context("sign in")?;
        if !r.status().is_success() {
            bail!("sign-in as {email} failed: {} {}", r.status(), r.text().await.unwrap_or_default());
        }
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .context("no session cookie")?
            .to_string();
        Ok(Api { base: base.to_string(), http, cookie })
    }

    /// A call starting now with the agent and `others` invited participants (a citizen, then
    /// guests); returns the links, the agent's first.
    pub async fn create_call(&self, number: usize, others: usize) -> anyhow::Result<Vec<Link>> {
        let start = jiff::Timestamp::now();
        let brussels = jiff::tz::TimeZone::get("Europe/Brussels")?;
        let local = |t: jiff::Timestamp| t.to_zoned(brussels.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
        let participants: Vec<_> = (0..others)
            .map(|i| {
                let role = if i == 0 { "citizen" } else { "guest" };
                json!({"name": format!("Belasting {number}-{i}"), "role": role})
            })
            .collect();
        let body = json!({
            "title": format!("Belastingtest {number}"),
            "period": {
                "start": local(start),
                "end": local(start + jiff::SignedDuration::from_hours(2)),
            },
            "participants": participants,
        });
        let r = self
            .http
            .post(format!("{}/api/v1/gesprekken", self.base))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .context("create call")?;
        if r.status().as_u16() != 201 {
            bail!("creating a call failed: {} {}", r.status(), r.text().await.unwrap_or_default());
        }
        #[derive(Deserialize)]
        struct Created {
            links: Vec<Link>,
        }
        Ok(r.json::<Created>().await?.links)
    }
}
