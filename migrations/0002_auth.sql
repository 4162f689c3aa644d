-- Users, roles, sessions, two-factor authentication and the audit log (issue 3).

-- Roles. The built-in ones always exist; administrators add custom roles at run time.
CREATE TABLE roles (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{1,49}$'),
    description text NOT NULL DEFAULT '',
    builtin     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO roles (name, description, builtin) VALUES
    ('superadmin', 'Full access, including managing other super admins', true),
    ('admin', 'Full access to hosts, users and settings', true),
    ('host_manager', 'Manage hosts, groups, packages and compliance', true),
    ('user', 'Standard access: view everything and export data', true),
    ('readonly', 'View-only access', true);

-- Permissions the server has ever known. The server adds new ones at start and grants them
-- to the built-in roles by its default matrix once; later edits by administrators stay.
CREATE TABLE permissions (
    name        text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The permission matrix: one row per granted permission.
CREATE TABLE role_permissions (
    role       text NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
    permission text NOT NULL REFERENCES permissions (name) ON DELETE CASCADE,
    PRIMARY KEY (role, permission)
);

CREATE TABLE users (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username               text NOT NULL,
    email                  text NOT NULL,
    first_name             text NOT NULL DEFAULT '',
    last_name              text NOT NULL DEFAULT '',
    -- NULL for accounts that only sign in through OIDC.
    password_hash          text,
    role                   text NOT NULL REFERENCES roles (name),
    is_active              boolean NOT NULL DEFAULT true,
    theme_preference       text NOT NULL DEFAULT 'system',
    avatar_url             text NOT NULL DEFAULT '',
    oidc_issuer            text,
    oidc_subject           text,
    -- Lockout: failures counted in a rolling window, then locked until locked_until.
    failed_login_attempts  integer NOT NULL DEFAULT 0,
    last_failed_login_at   timestamptz,
    locked_until           timestamptz,
    -- Two-factor authentication. Secrets are AES-256-GCM encrypted.
    tfa_enabled            boolean NOT NULL DEFAULT false,
    tfa_secret             text,
    tfa_pending_secret     text,
    -- The highest TOTP time step accepted, so a code is never accepted twice.
    tfa_last_step          bigint NOT NULL DEFAULT 0,
    tfa_failed_attempts    integer NOT NULL DEFAULT 0,
    tfa_locked_until       timestamptz,
    last_login_at          timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_oidc_identity_key UNIQUE (oidc_issuer, oidc_subject)
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_role_idx ON users (role);

-- Login sessions: the refresh token is stored as a SHA-256 hash.
CREATE TABLE user_sessions (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_hash text NOT NULL,
    login_method       text NOT NULL DEFAULT 'password',
    ip_address         text NOT NULL DEFAULT '',
    user_agent         text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_activity_at   timestamptz NOT NULL DEFAULT now(),
    expires_at         timestamptz NOT NULL,
    revoked_at         timestamptz,
    CONSTRAINT user_sessions_refresh_token_hash_key UNIQUE (refresh_token_hash)
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);

-- Single-use 2FA backup codes, SHA-256 hashed.
CREATE TABLE user_backup_codes (
    id         bigserial PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_backup_codes_user_idx ON user_backup_codes (user_id);

-- "Remember this device": devices that skip the 2FA step until expires_at.
CREATE TABLE user_trusted_devices (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   text NOT NULL,
    ip_address   text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CONSTRAINT user_trusted_devices_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX user_trusted_devices_user_idx ON user_trusted_devices (user_id);

-- Security audit log. actor_username and target_name are copies so entries stay readable
-- after the user is deleted.
CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    created_at     timestamptz NOT NULL DEFAULT now(),
    event          text NOT NULL,
    success        boolean NOT NULL DEFAULT true,
    actor_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_username text NOT NULL DEFAULT '',
    target_type    text NOT NULL DEFAULT '',
    target_id      text NOT NULL DEFAULT '',
    target_name    text NOT NULL DEFAULT '',
    ip_address     text NOT NULL DEFAULT '',
    user_agent     text NOT NULL DEFAULT '',
    details        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_event_idx ON audit_log (event text_pattern_ops, created_at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, created_at DESC);

-- Self sign-up is off until an administrator turns it on.
ALTER TABLE settings ADD COLUMN signup_enabled boolean NOT NULL DEFAULT false;
