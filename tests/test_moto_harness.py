import boto3

from tests.support.moto_server import MotoServer


def test_boto3_reaches_moto_server_through_aws_endpoint_url(aws: MotoServer) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="probe", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["probe"]
    assert s3.meta.endpoint_url == aws.endpoint_url


def test_every_protocol_is_recorded_as_read_or_write(aws: MotoServer) -> None:
    mark = len(aws.calls())
    boto3.client("ec2").describe_vpcs()  # query protocol
    boto3.client("ecs").create_cluster(clusterName="probe")  # JSON protocol
    boto3.client("s3").list_buckets()  # REST protocol
    boto3.client("efs").create_file_system(CreationToken="probe")
    calls = [(c.service, c.action, c.write) for c in aws.calls()[mark:]]
    assert calls[:3] == [
        ("ec2", "DescribeVpcs", False),
        ("ecs", "CreateCluster", True),
        ("s3", "GET /", False),
    ]
    assert calls[3][0] == "elasticfilesystem"
    assert calls[3][2] is True
