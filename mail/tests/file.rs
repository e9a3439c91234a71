//! The file transport (the embedded default): one complete, parseable `.eml` per message.

#[path = "support/python.rs"]
mod python;

use balie_mail::{sample, Language, MessageKind, Mode, Renderer, Transport};

#[tokio::test]
async fn the_file_transport_writes_one_parseable_eml_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("mail"); // made by the transport
    let transport = Transport::file(&outbox);
    let renderer = Renderer::new(sample::sender()).unwrap();

    let kinds = [MessageKind::Confirmation, MessageKind::Cancellation];
    let mut sent = Vec::new();
    for kind in kinds {
        let mail = sample::appointment(Language::En, kind, Mode::Physical);
        let out = renderer.render(kind, &mail, jiff::Timestamp::now()).unwrap();
        transport.send(&out).await.unwrap();
        sent.push(out);
    }

    let mut files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2, "no temporary files left behind: {files:?}");
    assert!(files.iter().all(|f| f.extension().is_some_and(|e| e == "eml")));

    let mut by_id = std::collections::HashMap::new();
    for file in &files {
        let eml = python::parse_eml(file);
        assert_eq!(eml["defects"], serde_json::json!([]), "{}", file.display());
        by_id.insert(eml["headers"]["Message-ID"].as_str().unwrap().to_string(), eml);
    }
    for (kind, out) in kinds.iter().zip(&sent) {
        let eml = &by_id[&out.message_id];
        assert_eq!(eml["headers"]["Subject"], out.subject.as_str());
        assert_eq!(eml["headers"]["Auto-Submitted"], "auto-generated");
        assert_eq!(eml["content_type"], "multipart/mixed");
        let text = python::parts(eml, "text/plain")[0]["text"].as_str().unwrap();
        assert!(text.contains("Gemeentehuis, Loket 3"), "{text}");
        assert!(!text.contains(sample::JOIN_URL), "a physical appointment has no link");
        let method = if *kind == MessageKind::Cancellation { "CANCEL" } else { "REQUEST" };
        let calendar = python::parts(eml, "text/calendar");
        assert_eq!(calendar[0]["params"]["method"], method);
        assert!(calendar[0]["text"].as_str().unwrap().contains(&format!("METHOD:{method}")));
    }
}
