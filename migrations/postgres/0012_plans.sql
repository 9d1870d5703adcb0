-- Monthly plans (subscription credits) and saved portraits (issue 10); the twin of
-- migrations/sqlite/0012_plans.sql.

-- One row per subscription started through Checkout, the plan copied in. user_id is cleared,
-- not cascaded, on account erasure: accounting keeps the amounts.
CREATE TABLE subscriptions (
    id uuid PRIMARY KEY,
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    plan_id text NOT NULL,
    tokens integer NOT NULL CHECK (tokens > 0),
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL,
    billing_interval text NOT NULL CHECK (billing_interval IN ('month', 'year')),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'active', 'past_due', 'canceled')),
    checkout_session_id text UNIQUE,
    stripe_subscription_id text UNIQUE,
    stripe_customer_id text,
    cancel_at_period_end boolean NOT NULL DEFAULT FALSE,
    current_period_start bigint,
    current_period_end bigint,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    canceled_at bigint
);
CREATE INDEX subscriptions_user ON subscriptions (user_id, created_at);

-- One row per paid invoice that granted tokens: exactly once per invoice.
CREATE TABLE subscription_grants (
    invoice_id text PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES subscriptions (id),
    user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    lot_id uuid NOT NULL UNIQUE,
    tokens integer NOT NULL CHECK (tokens > 0),
    amount bigint NOT NULL,
    currency text NOT NULL,
    period_start bigint NOT NULL,
    period_end bigint NOT NULL,
    expires_at bigint NOT NULL,
    granted_at bigint NOT NULL
);
CREATE INDEX subscription_grants_subscription ON subscription_grants (subscription_id, period_start);
CREATE INDEX subscription_grants_user ON subscription_grants (user_id, granted_at);

ALTER TABLE subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscriptions FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON subscriptions
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);
ALTER TABLE subscription_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE subscription_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_rows ON subscription_grants
    USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid)
    WITH CHECK (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);

-- A saved result is kept past its 24-hour expires_at until saved_until (NULL: until deleted).
ALTER TABLE results ADD COLUMN saved_at bigint;
ALTER TABLE results ADD COLUMN saved_until bigint;
CREATE INDEX results_saved_until ON results (saved_until) WHERE saved_until IS NOT NULL;
