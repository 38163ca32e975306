import pulumi_aws as aws
aws.lambda_.Function("f", role="r", tracing_config={"mdoe": "Active"})
aws.lambda_.Function("g", role="r", tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"))
