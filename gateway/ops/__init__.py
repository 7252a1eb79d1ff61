"""The ops JSON API (`/ops/...`), behind the ops bearer token, and its OpenAPI document."""
