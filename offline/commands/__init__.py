"""The `crossmesh` command: what each subcommand does with a plan from the engine (offline/engine.py).

Every subcommand works offline but `verify` (verify.py), which asks the real clouds through aws, gcloud,
kubectl and istioctl after `pulumi up`; the engine imports nothing from here.
"""
