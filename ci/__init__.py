"""The promotion gate run by GitHub Actions (`podium gate check|apply|resolve`).

Files people write:   desired_state (promotions/<model>.yaml), policy (.github/promotion-policy.yaml),
                      documents (YAML with line numbers for file:line: field errors), targets.
Pure rules:           approvals (counting reviews), metric_rules (the policy file's metric rules,
                      translated to the registry's), decision (judging changes with the registry's
                      evaluator; the verdict), report (comment, status line, outputs).
GitHub:               github.events (payloads), github.rest (REST API), github.runner (outputs,
                      step summary). Local history for apply: git.
Podium:               registry_port (the calls the gate needs), podium_registry (those calls through
                      registry.client.RegistryClient, promotion requests included).
Use cases:            check (pull requests), reconcile + apply (after the merge).

From the registry, `ci` imports only `registry.domain` (names, stages, errors, and the metric rules
Podium itself enforces: `registry.domain.gate`) and `registry.client` (the native API's HTTP client):
it talks to Podium over HTTP like any other client, so it runs in a CI job with nothing but a URL and
a token.
"""
