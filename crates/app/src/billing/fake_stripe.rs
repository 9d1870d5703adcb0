//! A stand-in for Stripe's API in tests, served on loopback by the test itself: the
//! endpoints Atelier calls (Checkout Sessions in payment and subscription mode, refunds,
//! subscription update and cancel), checking the fields and headers the real API requires and
//! answering with the documented JSON shapes. Every request is recorded for assertions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::domain::Timestamp;
use serde_json::{Value, json};

use super::stripe::STRIPE_VERSION;

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct FakeState {
    sessions: BTreeMap<String, Value>,
    replies: BTreeMap<String, Value>,
    refunded_intents: BTreeMap<String, String>,
    subscriptions: BTreeMap<String, Value>,
    requests: Vec<Recorded>,
    next: u32,
}

type Shared = Arc<Mutex<FakeState>>;

pub struct FakeStripe {
    pub base: String,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Shared) -> MutexGuard<'_, FakeState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FakeStripe {
    pub async fn start() -> FakeStripe {
        let state = Shared::default();
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/checkout/sessions/{id}", get(retrieve_session))
            .route("/v1/refunds", post(create_refund))
            .route(
                "/v1/subscriptions/{id}",
                post(update_subscription).delete(delete_subscription),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Stripe");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeStripe { base, state, task }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// The buyer pays: the session completes with a PaymentIntent. Returns the session.
    pub fn pay(&self, id: &str) -> Value {
        let mut state = lock(&self.state);
        state.next += 1;
        let intent = format!("pi_test_{}", state.next);
        let session = state.sessions.get_mut(id).expect("known session");
        session["payment_status"] = json!("paid");
        session["status"] = json!("complete");
        session["payment_intent"] = json!(intent);
        session.clone()
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let kind = if status == StatusCode::UNAUTHORIZED {
        "authentication_error"
    } else {
        "invalid_request_error"
    };
    let body = json!({"error": {"type": kind, "code": code, "message": message}});
    (status, axum::Json(body)).into_response()
}

/// Records the request and checks what every call needs: the secret key, the pinned version,
/// and for POSTs a form body and an idempotency key.
fn admit(
    state: &Shared,
    method: Method,
    path: String,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Recorded, Box<Response>> {
    let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let recorded = Recorded {
        method: method.clone(),
        path,
        headers: headers.clone(),
        form,
    };
    lock(state).requests.push(recorded.clone());
    let auth = recorded.header("authorization").unwrap_or_default();
    if !auth.starts_with("Bearer sk_test_") {
        return Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "api_key_invalid",
            "Invalid API Key provided",
        )));
    }
    if recorded.header("stripe-version") != Some(STRIPE_VERSION) {
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "api_version_invalid",
            "unexpected Stripe-Version",
        )));
    }
    if method == Method::POST {
        let form_type =
            recorded.header("content-type") == Some("application/x-www-form-urlencoded");
        if !form_type || recorded.header("idempotency-key").is_none() {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
                "POST needs a form body and an Idempotency-Key",
            )));
        }
    }
    Ok(recorded)
}

/// A reply seen before under the same idempotency key, as Stripe replays it.
fn replay(state: &Shared, recorded: &Recorded) -> Option<Response> {
    let key = recorded.header("idempotency-key")?;
    let reply = lock(state).replies.get(key).cloned()?;
    Some(axum::Json(reply).into_response())
}

async fn create_session(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/checkout/sessions".to_owned();
    let recorded = match admit(&state, Method::POST, path, &headers, &body) {
        Ok(recorded) => recorded,
        Err(response) => return *response,
    };
    if let Some(response) = replay(&state, &recorded) {
        return response;
    }
    let required = [
        "mode",
        "line_items[0][quantity]",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
        "client_reference_id",
        "success_url",
        "cancel_url",
    ];
    if let Some(missing) = required
        .iter()
        .find(|f| recorded.field(f).is_none_or(str::is_empty))
    {
        return error(StatusCode::BAD_REQUEST, "parameter_missing", missing);
    }
    let amount = recorded
        .field("line_items[0][price_data][unit_amount]")
        .and_then(|a| a.parse::<i64>().ok())
        .filter(|a| *a > 0);
    let currency = recorded
        .field("line_items[0][price_data][currency]")
        .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_lowercase()));
    let urls_ok = ["success_url", "cancel_url"]
        .iter()
        .all(|f| recorded.field(f).is_some_and(|u| u.starts_with("http")));
    // Subscription mode needs a recurring price; payment mode must not have one.
    let recurring = recorded.field("line_items[0][price_data][recurring][interval]");
    let mode = match (recorded.field("mode"), recurring) {
        (Some("payment"), None) => "payment",
        (Some("subscription"), Some("month" | "year")) => "subscription",
        _ => "",
    };
    // Our reference to the row the checkout is for.
    let reference = match mode {
        "subscription" => "metadata[subscription_id]",
        _ => "metadata[purchase_id]",
    };
    if recorded.field(reference).is_none_or(str::is_empty) {
        return error(StatusCode::BAD_REQUEST, "parameter_missing", reference);
    }
    let (Some(amount), Some(currency), true, false, Some("1")) = (
        amount,
        currency,
        urls_ok,
        mode.is_empty(),
        recorded.field("line_items[0][quantity]"),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "bad checkout parameters",
        );
    };
    let metadata: BTreeMap<String, String> = recorded
        .form
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((name.to_owned(), v.clone()))
        })
        .collect();
    let subscription_metadata: BTreeMap<String, String> = recorded
        .form
        .iter()
        .filter_map(|(k, v)| {
            let name = k
                .strip_prefix("subscription_data[metadata][")?
                .strip_suffix(']')?;
            Some((name.to_owned(), v.clone()))
        })
        .collect();
    let mut guard = lock(&state);
    guard.next += 1;
    let id = format!("cs_test_{}", guard.next);
    let session = json!({
        "id": id, "object": "checkout.session", "mode": mode,
        "subscription": null, "customer": null,
        "subscription_data": {"metadata": subscription_metadata, "interval": recurring},
        "url": format!("https://checkout.stripe.com/c/pay/{id}"),
        "amount_total": amount, "currency": currency,
        "client_reference_id": recorded.field("client_reference_id"),
        "metadata": metadata, "payment_intent": null,
        "payment_status": "unpaid", "status": "open",
        "success_url": recorded.field("success_url"), "cancel_url": recorded.field("cancel_url"),
    });
    guard.sessions.insert(id, session.clone());
    if let Some(key) = recorded.header("idempotency-key") {
        guard.replies.insert(key.to_owned(), session.clone());
    }
    axum::Json(session).into_response()
}

async fn retrieve_session(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/checkout/sessions/{id}");
    if let Err(response) = admit(&state, Method::GET, path, &headers, b"") {
        return *response;
    }
    match lock(&state).sessions.get(&id) {
        Some(session) => axum::Json(session.clone()).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "resource_missing",
            "No such checkout.session",
        ),
    }
}

async fn create_refund(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let path = "/v1/refunds".to_owned();
    let recorded = match admit(&state, Method::POST, path, &headers, &body) {
        Ok(recorded) => recorded,
        Err(response) => return *response,
    };
    if let Some(response) = replay(&state, &recorded) {
        return response;
    }
    let Some(intent) = recorded.field("payment_intent") else {
        return error(
            StatusCode::BAD_REQUEST,
            "parameter_missing",
            "payment_intent",
        );
    };
    let mut guard = lock(&state);
    let paid = guard
        .sessions
        .values()
        .find(|s| s["payment_intent"] == json!(intent))
        .cloned();
    let Some(session) = paid else {
        return error(
            StatusCode::NOT_FOUND,
            "resource_missing",
            "No such payment_intent",
        );
    };
    if guard.refunded_intents.contains_key(intent) {
        return error(
            StatusCode::BAD_REQUEST,
            "charge_already_refunded",
            "already refunded",
        );
    }
    guard.next += 1;
    let id = format!("re_test_{}", guard.next);
    guard.refunded_intents.insert(intent.to_owned(), id.clone());
    let refund = json!({
        "id": id, "object": "refund", "status": "succeeded",
        "amount": session["amount_total"], "currency": session["currency"],
        "payment_intent": intent,
        "metadata": {"purchase_id": recorded.field("metadata[purchase_id]")},
    });
    if let Some(key) = recorded.header("idempotency-key") {
        guard.replies.insert(key.to_owned(), refund.clone());
    }
    axum::Json(refund).into_response()
}

const MONTH_SECONDS: i64 = 30 * 86_400;

impl FakeStripe {
    /// The subscriber pays: the session completes and creates a subscription (with our
    /// `subscription_data[metadata]`) for a customer, its first period starting now. Returns
    /// the session and the subscription.
    pub fn complete_subscription(&self, session_id: &str) -> (Value, Value) {
        let mut state = lock(&self.state);
        state.next += 1;
        let n = state.next;
        let (sub, customer) = (format!("sub_test_{n}"), format!("cus_test_{n}"));
        let session = state.sessions.get_mut(session_id).expect("known session");
        session["payment_status"] = json!("paid");
        session["status"] = json!("complete");
        session["subscription"] = json!(sub);
        session["customer"] = json!(customer);
        let metadata = session["subscription_data"]["metadata"].clone();
        let session = session.clone();
        let start = Timestamp::now().millis() / 1000;
        let subscription = json!({
            "id": sub, "object": "subscription", "customer": customer, "status": "active",
            "cancel_at_period_end": false, "metadata": metadata,
            "items": {"object": "list", "data": [{
                "id": format!("si_test_{n}"), "object": "subscription_item",
                "current_period_start": start, "current_period_end": start + MONTH_SECONDS,
            }]},
        });
        state.subscriptions.insert(sub, subscription.clone());
        (session, subscription)
    }

    pub fn subscription(&self, id: &str) -> Value {
        lock(&self.state)
            .subscriptions
            .get(id)
            .cloned()
            .expect("known subscription")
    }
}

/// The Invoice object `invoice.paid` / `invoice.payment_failed` carry for `subscription`'s
/// period number `period` (0: the first, starting at its current period start), as the
/// pinned API version shapes it: the subscription under `parent.subscription_details`.
pub fn invoice(id: &str, subscription: &Value, period: i64, amount: i64, currency: &str) -> Value {
    let first = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or_default();
    let (start, end) = (
        first + period * MONTH_SECONDS,
        first + (period + 1) * MONTH_SECONDS,
    );
    json!({
        "id": id, "object": "invoice", "status": "paid", "currency": currency,
        "amount_due": amount, "amount_paid": amount, "billing_reason": "subscription_cycle",
        "customer": subscription["customer"],
        "period_start": start - MONTH_SECONDS, "period_end": start,
        "parent": {"type": "subscription_details", "subscription_details": {
            "subscription": subscription["id"], "metadata": subscription["metadata"],
        }},
        "lines": {"object": "list", "data": [{
            "id": format!("il_{id}"), "object": "line_item", "amount": amount,
            "period": {"start": start, "end": end},
        }]},
    })
}

async fn update_subscription(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1/subscriptions/{id}");
    let recorded = match admit(&state, Method::POST, path, &headers, &body) {
        Ok(recorded) => recorded,
        Err(response) => return *response,
    };
    let mut guard = lock(&state);
    let Some(subscription) = guard.subscriptions.get_mut(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "resource_missing",
            "No such subscription",
        );
    };
    match recorded.field("cancel_at_period_end") {
        Some("true") => subscription["cancel_at_period_end"] = json!(true),
        Some("false") => subscription["cancel_at_period_end"] = json!(false),
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
                "cancel_at_period_end",
            );
        }
    }
    axum::Json(subscription.clone()).into_response()
}

async fn delete_subscription(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/subscriptions/{id}");
    if let Err(response) = admit(&state, Method::DELETE, path, &headers, b"") {
        return *response;
    }
    let mut guard = lock(&state);
    let Some(subscription) = guard.subscriptions.get_mut(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            "resource_missing",
            "No such subscription",
        );
    };
    subscription["status"] = json!("canceled");
    axum::Json(subscription.clone()).into_response()
}

/// The keys tests configure, matching what the fake accepts.
pub const SECRET_KEY: &str = "sk_test_atelier";
pub const WEBHOOK_SECRET: &str = "whsec_test_atelier";

/// A Stripe event envelope around `object`, as bytes ready to sign.
pub fn event(id: &str, kind: &str, object: &Value) -> Vec<u8> {
    json!({
        "id": id, "object": "event", "type": kind, "api_version": STRIPE_VERSION,
        "created": 1_700_000_000, "livemode": false,
        "data": {"object": object},
    })
    .to_string()
    .into_bytes()
}

/// A `Stripe-Signature` header for `body`, signed now with the test secret.
pub fn signature_now(body: &[u8]) -> String {
    super::signature::sign(
        body,
        WEBHOOK_SECRET,
        crate::domain::Timestamp::now().millis() / 1000,
    )
}

/// The Charge object a `charge.refunded` event carries.
pub fn refunded_charge(payment_intent: &str, amount_refunded: i64, currency: &str) -> Value {
    json!({
        "id": format!("ch_for_{payment_intent}"), "object": "charge",
        "amount": amount_refunded, "amount_refunded": amount_refunded,
        "currency": currency, "payment_intent": payment_intent, "refunded": true,
    })
}
