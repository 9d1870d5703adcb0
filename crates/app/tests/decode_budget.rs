//! Memory stays bounded however many uploads arrive at once: a real `atelier
//! serve --workers 0` process with a small decode budget takes 50 concurrent uploads of a
//! 36-megapixel JPEG from 5 accounts. Its peak resident memory (`VmHWM`) stays under the
//! bound the README documents (idle + decode budget + the upload bodies in flight), every
//! answer is 201, 429 or 503 (`busy`, with `Retry-After`), and every 201 is listed after.

mod support;

use std::time::Instant;

use support::process::{Node, exchange, serve_child as child};
use support::{register, upload_body};

/// The budget under test: room for one 36 MP decode at a time (each weighs ~0.45 GB).
const BUDGET_MIB: u64 = 600;

#[test]
#[ignore = "the server child of the tests in this file"]
fn serve_child() {
    child();
}

/// A 6000×6000 JPEG: a gradient under mild noise, about 2–3 MB, like a phone photo.
fn big_jpeg() -> Vec<u8> {
    let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 24) as u32
    };
    let image = image::RgbImage::from_fn(6000, 6000, |x, y| {
        let n = noise();
        image::Rgb([
            ((x / 24 + n) % 256) as u8,
            ((y / 24 + n) % 256) as u8,
            (((x + y) / 48 + n) % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&image)
        .expect("encode jpeg");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_36_megapixel_uploads_stay_within_the_memory_bound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let budget = std::env::var("ATELIER_TEST_DECODE_BUDGET_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BUDGET_MIB);
    // Both overridable to take the "before" figure: a budget too large to bind (no budget,
    // as before the decode budget) with fewer uploads, so the machine survives it.
    let count: usize = std::env::var("ATELIER_TEST_UPLOADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let budget_text = budget.to_string();
    let node = Node::start(
        &dir.path().join("data"),
        &["--workers", "0"],
        &[
            ("ATELIER__LIMITS__DECODE_MEMORY_MIB", budget_text.as_str()),
            ("ATELIER__LIMITS__DECODE_WAIT", "1s"),
        ],
    );
    let photo = big_jpeg();
    let mut tokens = Vec::new();
    for n in 0..5 {
        tokens.push(register(node.addr, &format!("user{n}@example.org")).await);
    }
    let idle_kib = node.memory_kib("VmHWM");

    let (body, content_type) = upload_body(&photo);
    let started = Instant::now();
    let mut uploads = Vec::new();
    for n in 0..count {
        let (addr, body) = (node.addr, body.clone());
        let headers = vec![
            ("Authorization", format!("Bearer {}", tokens[n % 5])),
            ("Content-Type", content_type.clone()),
        ];
        uploads.push(tokio::spawn(async move {
            let answer = exchange(addr, "POST", "/api/v1/uploads", &headers, &body).await;
            (n % 5, answer)
        }));
    }
    let mut answers = Vec::new();
    for upload in uploads {
        answers.push(upload.await.expect("upload task"));
    }
    let took = started.elapsed();
    let peak_kib = node.memory_kib("VmHWM");

    let mut created = [0usize; 5];
    let mut statuses = std::collections::BTreeMap::new();
    for (account, answer) in &answers {
        *statuses.entry(answer.status).or_insert(0) += 1;
        match answer.status {
            201 => created[*account] += 1,
            503 => {
                assert_eq!(answer.json()["error"]["code"], "busy");
                let retry = answer
                    .header("retry-after")
                    .and_then(|v| v.parse::<u64>().ok());
                assert!(retry.is_some_and(|s| s >= 1), "503 without Retry-After");
            }
            429 => assert!(answer.header("retry-after").is_some()),
            other => panic!(
                "upload answered {other}: {}",
                String::from_utf8_lossy(&answer.body)
            ),
        }
    }
    let mut listed = [0usize; 5];
    for (account, token) in tokens.iter().enumerate() {
        let headers = [("Authorization", format!("Bearer {token}"))];
        let list = exchange(node.addr, "GET", "/api/v1/uploads?limit=100", &headers, b"").await;
        assert_eq!(list.status, 200);
        // `GET /uploads` answers a JSON array of the caller's uploads.
        listed[account] = list.json().as_array().map_or(0, Vec::len);
    }
    // The README's bound: idle + budget + every body in flight twice (read, then parsed),
    // and 64 MiB for the allocator's slack and the connections themselves.
    let bodies_kib = count as u64 * 2 * (body.len() as u64) / 1024;
    let bound_kib = idle_kib + budget * 1024 + bodies_kib + 64 * 1024;
    eprintln!(
        "decode budget {budget} MiB, photo {} KB: idle {} MiB, peak {} MiB, bound {} MiB; \
         answers {statuses:?} in {took:.1?}",
        photo.len() / 1000,
        idle_kib / 1024,
        peak_kib / 1024,
        bound_kib / 1024,
    );

    assert!(
        created.iter().sum::<usize>() >= 1,
        "no upload got through: {statuses:?}"
    );
    assert_eq!(listed, created, "every upload answered 201 is listed");
    assert!(
        peak_kib <= bound_kib,
        "peak {peak_kib} KiB over the bound {bound_kib} KiB"
    );
    drop(node);
}
