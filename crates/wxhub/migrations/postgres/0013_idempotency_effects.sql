-- Idempotency claims learn what their request did before it answered (core/effects.rs):
-- external (a WeChat call was about to leave) and acted (a store change committed, marked in
-- that change's own transaction). A holder that stops leaves a running claim free again
-- (nothing happened) and an external or acted one unknown.

ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_state_check;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_state_check
    CHECK (state IN ('running', 'external', 'acted', 'done', 'unknown'));
