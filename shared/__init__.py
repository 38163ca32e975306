"""serverless-infra shared package: the rules every Pulumi project of the stack imports.

Pure helpers (no resources): `config`, `naming`, `tags`, `contracts`, `stacks`.
Resources: `providers` (the tagged AWS provider) and `components/<layer>/`.
Offline rendering: `synth` (Pulumi mocks, the resource graph, the whole-system synth).
"""
