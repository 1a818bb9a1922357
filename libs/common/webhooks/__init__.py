"""Webhooks (变动推送订阅), the one way for every service: signing (``signing``), which endpoints we
call and how secrets are kept and retried (``policy``), the tables' shape (``tables``) and the
worker's signed POST (``sender``). Lending pushes its credit-line changes to banks, the merchant
service its grade changes to merchants."""
