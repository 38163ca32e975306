"""Offline rendering of the Pulumi programs under `pulumi.runtime.Mocks`.

`render`: one layer in this process -> `LayerGraph`. `runner`: every layer in deploy order, each in
its own process, exports fed to the next layer's StackReferences. `fake_aws`: realistic ids, ARNs
and data-source answers. `aws_rules`: values AWS would reject that mocks would accept.
"""
