# Least privilege: each function's role reaches the named buckets, the one
# referential object, its own log group and (the drain only) the queue.

locals {
  partition    = data.aws_partition.current.partition
  bucket_arns  = [for b in local.routed_buckets : "arn:${local.partition}:s3:::${b}"]
  object_arns  = [for b in local.routed_buckets : "arn:${local.partition}:s3:::${b}/*"]
  mapping_arns = ["${split(":function:", aws_lambda_function.switchyard["drain"].arn)[0]}:event-source-mapping:${aws_lambda_event_source_mapping.drain.uuid}"]
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = "${var.name_prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "function" {
  for_each = local.functions

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  # Sources are read and deleted (a move), destinations written and verified.
  statement {
    sid = "RoutedObjects"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:AbortMultipartUpload",
    ]
    resources = local.object_arns
  }

  statement {
    sid       = "RoutedBuckets"
    actions   = ["s3:ListBucket", "s3:ListBucketVersions"]
    resources = local.bucket_arns
  }

  statement {
    sid       = "Referential"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["arn:${local.partition}:s3:::${var.referential_bucket}/${var.referential_key}"]
  }

  dynamic "statement" {
    for_each = each.key == "drain" ? [aws_sqs_queue.notifications.arn] : []
    content {
      sid = "DrainQueue"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
      ]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = each.key == "event" ? [aws_sqs_queue.notifications.arn] : []
    content {
      sid       = "FailedEventsToTheQueue"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

data "aws_iam_policy_document" "s3_sends_notifications" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.notifications.arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = length(var.batch_buckets) > 0 ? [for b in var.batch_buckets : "arn:${local.partition}:s3:::${b}"] : ["arn:${local.partition}:s3:::none"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-drain-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "OpenAndCloseTheDrain"
    actions   = ["lambda:UpdateEventSourceMapping"]
    resources = local.mapping_arns
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name_prefix}-drain-scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
