-- Token packs bought through Stripe Checkout (C6); the twin of migrations/sqlite/0003.
-- Amounts are integer minor units with their ISO currency; instants are Unix milliseconds.

-- One row per checkout attempt, the pack copied in. user_id is cleared, not cascaded, on
-- account erasure: accounting keeps the payment.
CREATE TABLE purchases (
    id uuid PRIMARY KEY,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    pack_id text NOT NULL,
    tokens integer NOT NULL CHECK (tokens > 0),
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL,
    valid_days integer NOT NULL CHECK (valid_days > 0),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'failed', 'expired', 'refunded')),
    checkout_session_id text UNIQUE,
    payment_intent_id text UNIQUE,
    lot_id uuid UNIQUE,
    refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    revoked_tokens integer NOT NULL DEFAULT 0 CHECK (revoked_tokens >= 0),
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    paid_at bigint,
    refunded_at bigint
);
CREATE INDEX purchases_user ON purchases (user_id, created_at);
CREATE INDEX purchases_created ON purchases (created_at);

-- Every Stripe event id acted on, inserted in the same transaction as its effect.
CREATE TABLE stripe_events (
    id text PRIMARY KEY,
    type text NOT NULL,
    purchase_id uuid,
    outcome text NOT NULL,
    received_at bigint NOT NULL
);

-- Cumulative refunds per PaymentIntent, kept even before the payment is recorded.
CREATE TABLE payment_refunds (
    payment_intent_id text PRIMARY KEY,
    amount_refunded bigint NOT NULL CHECK (amount_refunded >= 0),
    currency text NOT NULL,
    updated_at bigint NOT NULL
);

ALTER TABLE purchases ENABLE ROW LEVEL SECURITY;
ALTER TABLE purchases FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON purchases
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

-- Stripe's bookkeeping has no owner: only the system role reaches it.
ALTER TABLE stripe_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_events FORCE ROW LEVEL SECURITY;
ALTER TABLE payment_refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE payment_refunds FORCE ROW LEVEL SECURITY;
