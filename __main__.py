"""crossmesh: validate the stack config, build the mesh, export what operators need."""

import pulumi

from components.config import load_config, read_stack_config
from components.crossmesh import CrossMesh, CrossMeshArgs

config = load_config(read_stack_config())
mesh = CrossMesh("crossmesh", CrossMeshArgs(config=config, stack=pulumi.get_stack()))

for name, value in mesh.exports().items():
    pulumi.export(name, value)
