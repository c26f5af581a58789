# switchyard on AWS: one Lambda per mode, both running the exported handler.
#   event mode: S3 notification → event Lambda
#   batch mode: S3 notification → SQS queue (dead-letter queue after max_receive_count);
#               EventBridge Scheduler opens the queue's event source mapping to the drain
#               Lambda at drain_open_schedule and closes it at drain_close_schedule: between
#               windows notifications wait in the queue, during one they are routed in batches.

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  functions = toset(["event", "drain"])

  # Each source bucket in one mode: S3 keeps a single notification configuration per bucket.
  source_modes = merge(
    { for b in var.batch_buckets : b => "batch" },
    { for b in var.event_buckets : b => "event" },
  )
  routed_buckets = toset(concat(keys(local.source_modes), var.destination_buckets))

  referential_uri = "s3://${var.referential_bucket}/${aws_s3_object.referential.key}"

  ledger_env = var.ledger_url == "" ? {} : { SWITCHYARD_LEDGER = var.ledger_url }

  environment = merge({
    SWITCHYARD_ROUTES    = local.referential_uri
    SWITCHYARD_CONFIG    = "switchyard.yaml"
    SWITCHYARD_LOG_LEVEL = var.log_level
  }, local.ledger_env)
}

resource "terraform_data" "inputs" {
  input = local.source_modes

  lifecycle {
    precondition {
      condition     = length(setintersection(toset(var.event_buckets), toset(var.batch_buckets))) == 0
      error_message = "A bucket is in both event_buckets and batch_buckets: expected each source bucket in one mode."
    }
    precondition {
      condition     = fileexists("${var.source_dir}/dist/triggers/cloud/aws.js") && fileexists("${var.source_dir}/node_modules/@node-rs/crc32/package.json")
      error_message = "source_dir has no dist/triggers/cloud/aws.js or no node_modules: expected the staged build folder with its production dependencies installed (see README.md)."
    }
    precondition {
      condition     = can(regex("(?m)^routesProject:", file("${var.source_dir}/switchyard.yaml")))
      error_message = "source_dir/switchyard.yaml must exist and name `routesProject:` (the s3 project of the referential bucket): the functions read the referential from s3://."
    }
  }
}

# --- the referential -----------------------------------------------------------

resource "aws_s3_object" "referential" {
  bucket       = var.referential_bucket
  key          = var.referential_key
  source       = var.referential_file
  etag         = filemd5(var.referential_file)
  content_type = "text/csv"
}

# --- functions -----------------------------------------------------------------

data "archive_file" "lambda" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${path.root}/.terraform/${var.name_prefix}-lambda.zip"
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "switchyard" {
  for_each = local.functions

  function_name    = "${var.name_prefix}-${each.key}"
  role             = aws_iam_role.function[each.key].arn
  runtime          = "nodejs24.x"
  handler          = "dist/triggers/cloud/aws.handler"
  architectures    = [var.lambda_architecture]
  filename         = data.archive_file.lambda.output_path
  source_code_hash = data.archive_file.lambda.output_base64sha256
  timeout          = var.timeout_seconds
  memory_size      = var.memory_mb

  environment {
    variables = local.environment
  }

  # An event Lambda still failing after its retries leaves the S3 event on the
  # notification queue: the next drain window routes it.
  dynamic "dead_letter_config" {
    for_each = each.key == "event" ? [aws_sqs_queue.notifications.arn] : []
    content {
      target_arn = dead_letter_config.value
    }
  }

  # Lambda checks that the role may send to its dead-letter queue.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function, terraform_data.inputs]
}

# --- event mode ----------------------------------------------------------------

resource "aws_lambda_permission" "s3_invokes_event" {
  for_each = toset(var.event_buckets)

  statement_id   = "s3-${substr(sha256(each.value), 0, 16)}"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.switchyard["event"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = "arn:${data.aws_partition.current.partition}:s3:::${each.value}"
  source_account = data.aws_caller_identity.current.account_id
}

# Replaces the bucket's whole notification configuration (S3 keeps one per bucket).
resource "aws_s3_bucket_notification" "source" {
  for_each = local.source_modes

  bucket = each.key

  dynamic "lambda_function" {
    for_each = each.value == "event" ? [each.key] : []
    content {
      lambda_function_arn = aws_lambda_function.switchyard["event"].arn
      events              = ["s3:ObjectCreated:*"]
    }
  }

  dynamic "queue" {
    for_each = each.value == "batch" ? [each.key] : []
    content {
      queue_arn = aws_sqs_queue.notifications.arn
      events    = ["s3:ObjectCreated:*"]
    }
  }

  depends_on = [aws_lambda_permission.s3_invokes_event, aws_sqs_queue_policy.s3_sends_notifications]
}

# --- batch mode ----------------------------------------------------------------

resource "aws_sqs_queue" "dead_letters" {
  name                      = "${var.name_prefix}-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "notifications" {
  name                       = "${var.name_prefix}-notifications"
  visibility_timeout_seconds = 6 * var.timeout_seconds
  message_retention_seconds  = 1209600
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letters.arn
    maxReceiveCount     = var.max_receive_count
  })
}

resource "aws_sqs_queue_policy" "s3_sends_notifications" {
  queue_url = aws_sqs_queue.notifications.id
  policy    = data.aws_iam_policy_document.s3_sends_notifications.json
}

resource "aws_lambda_event_source_mapping" "drain" {
  event_source_arn                   = aws_sqs_queue.notifications.arn
  function_name                      = aws_lambda_function.switchyard["drain"].arn
  batch_size                         = var.drain_batch_size
  maximum_batching_window_in_seconds = 20
  function_response_types            = ["ReportBatchItemFailures"]
  enabled                            = false

  scaling_config {
    maximum_concurrency = var.drain_max_concurrency
  }

  # The schedules below open and close it; an apply must not undo them.
  lifecycle {
    ignore_changes = [enabled]
  }
}

resource "aws_scheduler_schedule" "drain" {
  for_each = {
    open  = { expression = var.drain_open_schedule, enabled = true }
    close = { expression = var.drain_close_schedule, enabled = false }
  }

  name                         = "${var.name_prefix}-drain-${each.key}"
  schedule_expression          = each.value.expression
  schedule_expression_timezone = var.drain_time_zone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = "arn:aws:scheduler:::aws-sdk:lambda:updateEventSourceMapping"
    role_arn = aws_iam_role.scheduler.arn

    input = jsonencode({
      UUID    = aws_lambda_event_source_mapping.drain.uuid
      Enabled = each.value.enabled
    })
  }
}
