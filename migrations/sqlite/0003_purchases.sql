-- Token packs bought through Stripe Checkout (C6). Amounts are integer minor units with
-- their ISO currency; instants are Unix milliseconds. Portable: the PostgreSQL twin uses the
-- same columns (TEXT ids become uuid where they hold one; INTEGER/BIGINT stay).

-- One row per checkout attempt. The pack is copied in (tokens, amount, currency, validity) so
-- a later change of the configured packs never changes what a buyer was promised.
-- user_id is cleared, not cascaded, on account erasure: accounting keeps the payment.
CREATE TABLE purchases (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    pack_id TEXT NOT NULL,
    tokens INTEGER NOT NULL CHECK (tokens > 0),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    valid_days INTEGER NOT NULL CHECK (valid_days > 0),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'failed', 'expired', 'refunded')),
    checkout_session_id TEXT UNIQUE,
    payment_intent_id TEXT UNIQUE,
    -- The lot this purchase credited; UNIQUE so a purchase can credit at most one lot.
    lot_id TEXT UNIQUE,
    -- Cumulative refunded amount (minor units) and the tokens revoked for it.
    refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
    revoked_tokens INTEGER NOT NULL DEFAULT 0 CHECK (revoked_tokens >= 0),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    paid_at BIGINT,
    refunded_at BIGINT
);
CREATE INDEX purchases_user ON purchases (user_id, created_at);
CREATE INDEX purchases_created ON purchases (created_at);

-- Every Stripe event id we acted on, inserted in the same transaction as its effect: a
-- redelivered event finds its id here and changes nothing.
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    purchase_id TEXT,
    outcome TEXT NOT NULL,
    received_at BIGINT NOT NULL
);

-- Refunds Stripe reported (webhook) or we asked for (operator), per PaymentIntent, as the
-- cumulative refunded amount. Kept even when no paid purchase matches yet, so a refund that
-- arrives before its checkout.session.completed is settled when the payment is recorded.
CREATE TABLE payment_refunds (
    payment_intent_id TEXT PRIMARY KEY,
    amount_refunded BIGINT NOT NULL CHECK (amount_refunded >= 0),
    currency TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
