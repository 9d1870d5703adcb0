-- Monthly plans (subscription credits) and saved portraits (issue 10). Amounts are integer
-- minor units with their ISO currency; instants are Unix milliseconds.

-- One row per subscription started through Checkout (mode=subscription). The plan is copied in
-- (tokens, amount, currency, interval) so a later change of the configured plans never changes
-- what a subscriber was promised. user_id is cleared, not cascaded, on account erasure (after
-- the subscription was canceled at Stripe): accounting keeps the amounts.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    plan_id TEXT NOT NULL,
    tokens INTEGER NOT NULL CHECK (tokens > 0),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    billing_interval TEXT NOT NULL CHECK (billing_interval IN ('month', 'year')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'active', 'past_due', 'canceled')),
    checkout_session_id TEXT UNIQUE,
    stripe_subscription_id TEXT UNIQUE,
    stripe_customer_id TEXT,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    current_period_start BIGINT,
    current_period_end BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    canceled_at BIGINT
);
CREATE INDEX subscriptions_user ON subscriptions (user_id, created_at);

-- One row per paid invoice that granted tokens: the primary key makes the grant exactly once
-- per invoice, whichever event (or how many) reports it. Kept, detached, after erasure.
CREATE TABLE subscription_grants (
    invoice_id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    lot_id TEXT NOT NULL UNIQUE,
    tokens INTEGER NOT NULL CHECK (tokens > 0),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    granted_at BIGINT NOT NULL
);
CREATE INDEX subscription_grants_subscription ON subscription_grants (subscription_id, period_start);
CREATE INDEX subscription_grants_user ON subscription_grants (user_id, granted_at);

-- A saved result is kept past its 24-hour expires_at until saved_until (NULL: until the owner
-- deletes it). Unsaving clears both, so expires_at (creation + result_ttl) rules again.
ALTER TABLE results ADD COLUMN saved_at BIGINT;
ALTER TABLE results ADD COLUMN saved_until BIGINT;
CREATE INDEX results_saved_until ON results (saved_until) WHERE saved_until IS NOT NULL;
