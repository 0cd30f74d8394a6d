"""The promotion gate run by GitHub Actions (`podium gate check|apply|resolve`).

Files people write:   desired_state (promotions/<model>.yaml), policy (.github/promotion-policy.yaml),
                      documents (YAML with line numbers for file:line: field errors), targets.
Pure rules:           approvals (counting reviews), metric_rules (bounds and tolerance), decision
                      (judging changes; the verdict), report (comment, status line, outputs).
GitHub:               github.events (payloads), github.rest (REST API), github.runner (outputs,
                      step summary). Local history for apply: git.
Podium:               registry_port (the calls the gate needs), podium_registry (over HTTP),
                      registry_http (transport), promotion_api (promotion requests).
Use cases:            check (pull requests), reconcile + apply (after the merge).

`ci` imports only `registry.domain` from the registry (names, stages, errors): it talks to Podium over
HTTP like any other client, so it runs in a CI job with nothing but a URL and a token.
"""
