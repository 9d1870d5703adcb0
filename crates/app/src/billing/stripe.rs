//! The few Stripe API calls Atelier makes, over reqwest: create and retrieve a Checkout
//! Session, create a refund. Form-encoded requests, a pinned `Stripe-Version`, an
//! `Idempotency-Key` on every POST, a time limit and metrics on every call.
//!
//! Must not decide anything about purchases: it only speaks Stripe's wire format.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Secret;

/// The API version every request pins, so Stripe's answers keep the shape parsed here.
pub const STRIPE_VERSION: &str = "2025-08-27.basil";

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error("cannot reach Stripe: {0}")]
    Transport(String),
    #[error("Stripe answered {status}: {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("unexpected answer from Stripe: {0}")]
    Decode(String),
}

/// A Checkout Session, as far as Atelier reads it.
#[derive(Clone, Debug, Deserialize)]
pub struct Session {
    pub id: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// An id, or the object when expanded.
    #[serde(default)]
    pub payment_intent: Option<serde_json::Value>,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: String,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
    /// `payment` or `subscription`.
    #[serde(default)]
    pub mode: Option<String>,
    /// In subscription mode: the subscription created (an id, or the expanded object).
    #[serde(default)]
    pub subscription: Option<serde_json::Value>,
    #[serde(default)]
    pub customer: Option<serde_json::Value>,
}

impl Session {
    pub fn payment_intent_id(&self) -> Option<String> {
        id_of(self.payment_intent.as_ref()?)
    }
}

/// A Charge, as `charge.refunded` carries it.
#[derive(Clone, Debug, Deserialize)]
pub struct Charge {
    pub id: String,
    #[serde(default)]
    pub payment_intent: Option<serde_json::Value>,
    pub amount_refunded: i64,
    pub currency: String,
}

impl Charge {
    pub fn payment_intent_id(&self) -> Option<String> {
        id_of(self.payment_intent.as_ref()?)
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub status: Option<String>,
}

pub(super) fn id_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(id) => Some(id.clone()),
        serde_json::Value::Object(object) => object.get("id")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// What a Checkout Session for one pack purchase carries.
pub struct CheckoutRequest<'a> {
    pub purchase_id: &'a str,
    pub user_id: &'a str,
    pub pack_id: &'a str,
    pub product_name: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

impl CheckoutRequest<'_> {
    /// The form fields of `POST /v1/checkout/sessions`.
    pub fn form(&self) -> Vec<(&'static str, String)> {
        vec![
            ("mode", "payment".into()),
            ("line_items[0][quantity]", "1".into()),
            ("line_items[0][price_data][currency]", self.currency.into()),
            (
                "line_items[0][price_data][unit_amount]",
                self.amount.to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                self.product_name.into(),
            ),
            ("client_reference_id", self.user_id.into()),
            ("metadata[purchase_id]", self.purchase_id.into()),
            ("metadata[pack]", self.pack_id.into()),
            (
                "payment_intent_data[metadata][purchase_id]",
                self.purchase_id.into(),
            ),
            ("success_url", self.success_url.into()),
            ("cancel_url", self.cancel_url.into()),
        ]
    }
}

pub struct StripeClient {
    http: reqwest::Client,
    base: String,
    key: Secret,
}

impl StripeClient {
    pub fn new(base: &str, key: Secret, timeout: Duration) -> Result<StripeClient, StripeError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| StripeError::Transport(e.to_string()))?;
        Ok(StripeClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    pub async fn create_checkout_session(
        &self,
        request: &CheckoutRequest<'_>,
    ) -> Result<Session, StripeError> {
        let key = format!("checkout-{}", request.purchase_id);
        self.post(
            "checkout_create",
            "/v1/checkout/sessions",
            &request.form(),
            &key,
        )
        .await
    }

    /// `id` must be a session id (`cs_…`), checked by the caller.
    pub async fn retrieve_session(&self, id: &str) -> Result<Session, StripeError> {
        let url = format!("{}/v1/checkout/sessions/{id}", self.base);
        self.send("checkout_retrieve", self.http.get(url)).await
    }

    /// Refunds what is left of a PaymentIntent; one refund per purchase, however often asked.
    pub async fn create_refund(
        &self,
        payment_intent: &str,
        purchase_id: &str,
    ) -> Result<Refund, StripeError> {
        let form = [
            ("payment_intent", payment_intent.to_owned()),
            ("metadata[purchase_id]", purchase_id.to_owned()),
        ];
        let key = format!("refund-{purchase_id}");
        self.post("refund_create", "/v1/refunds", &form, &key).await
    }

    /// Opens a Checkout Session for a subscription (`mode=subscription`).
    pub async fn create_subscription_checkout(
        &self,
        request: &super::plans::SubscriptionCheckoutRequest<'_>,
    ) -> Result<Session, StripeError> {
        let key = format!("subscription-checkout-{}", request.subscription_id);
        self.post(
            "subscription_checkout_create",
            "/v1/checkout/sessions",
            &request.form(),
            &key,
        )
        .await
    }

    /// Cancels a subscription when its current period ends (`cancel_at_period_end=true`).
    /// `id` must be a subscription id (`sub_…`), checked by the caller.
    pub async fn cancel_at_period_end(
        &self,
        id: &str,
    ) -> Result<super::plans::StripeSubscription, StripeError> {
        let form = [("cancel_at_period_end", "true".to_owned())];
        let key = format!("cancel-at-period-end-{id}");
        self.post(
            "subscription_cancel_at_period_end",
            &format!("/v1/subscriptions/{id}"),
            &form,
            &key,
        )
        .await
    }

    /// Cancels a subscription at once (`DELETE /v1/subscriptions/{id}`): no further invoice.
    pub async fn cancel_now(
        &self,
        id: &str,
    ) -> Result<super::plans::StripeSubscription, StripeError> {
        let url = format!("{}/v1/subscriptions/{id}", self.base);
        self.send("subscription_cancel", self.http.delete(url))
            .await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        op: &'static str,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("Idempotency-Key", idempotency_key)
            .body(body);
        self.send(op, request).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        op: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let started = Instant::now();
        let outcome = self.exchange(request).await;
        let label = match &outcome {
            Ok(_) => "ok".to_owned(),
            Err(StripeError::Api { status, .. }) => status.to_string(),
            Err(StripeError::Transport(_)) => "transport".to_owned(),
            Err(StripeError::Decode(_)) => "decode".to_owned(),
        };
        metrics::counter!("atelier_stripe_requests_total", "op" => op, "outcome" => label)
            .increment(1);
        metrics::histogram!("atelier_stripe_request_duration_seconds", "op" => op)
            .record(started.elapsed().as_secs_f64());
        let bytes = outcome?;
        serde_json::from_slice(&bytes).map_err(|e| StripeError::Decode(e.to_string()))
    }

    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, StripeError> {
        let response = request
            .header(AUTHORIZATION, format!("Bearer {}", self.key.expose()))
            .header("Stripe-Version", STRIPE_VERSION)
            .send()
            .await
            .map_err(|e| StripeError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| StripeError::Transport(e.without_url().to_string()))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        #[derive(Deserialize)]
        struct Envelope {
            error: ApiErrorBody,
        }
        #[derive(Deserialize)]
        struct ApiErrorBody {
            #[serde(default)]
            code: Option<String>,
            #[serde(default, rename = "type")]
            kind: Option<String>,
            #[serde(default)]
            message: Option<String>,
        }
        let parsed = serde_json::from_slice::<Envelope>(&bytes).ok();
        let (code, message) = parsed.map_or_else(
            || ("unknown".to_owned(), String::new()),
            |e| {
                (
                    e.error.code.or(e.error.kind).unwrap_or_default(),
                    e.error.message.unwrap_or_default(),
                )
            },
        );
        Err(StripeError::Api {
            status: status.as_u16(),
            code,
            message,
        })
    }
}
