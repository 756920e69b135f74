"""What tests share: plans of the shipped stacks, schemas, strategies and cases."""
