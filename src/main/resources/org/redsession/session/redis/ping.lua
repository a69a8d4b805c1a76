-- Readiness probe: a read-only script that touches no key, so it checks that Redis runs scripts for this user.
return 'PONG'
