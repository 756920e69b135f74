"""The offline engine: plan a stack with no cloud account and no Pulumi CLI, through the SDK's mocks.

engine.py runs the program and records every registration (record.py), fake_cloud.py and fakes/ answer
as the providers would, sdk_loading.py loads the provider SDKs lazily. The `crossmesh` command that
uses it is the commands/ subpackage.
"""
