"""crossmesh: validate the stack config, build the mesh, export what operators need."""

import pulumi

from components.config import load_stack_config, secret_keys
from components.crossmesh import CrossMesh, CrossMeshArgs

# Outputs that repeat a config key: they stay secret when the stack holds that key as a secret.
OUTPUT_SOURCES = {"awsRegion": "aws", "gcpProject": "gcp", "gcpRegion": "gcp", "services": "services"}

config = load_stack_config()
mesh = CrossMesh("crossmesh", CrossMeshArgs(config=config, stack=pulumi.get_stack()))

secret = secret_keys()
for name, value in mesh.exports().items():
    pulumi.export(name, pulumi.Output.secret(value) if OUTPUT_SOURCES.get(name) in secret else value)
