import boto3

from tests.support.moto_server import MotoServer


def test_boto3_reaches_moto_server_through_aws_endpoint_url(aws: MotoServer) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="probe", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["probe"]
    assert s3.meta.endpoint_url == aws.endpoint_url
