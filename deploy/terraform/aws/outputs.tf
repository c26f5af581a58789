output "event_function" {
  description = "Name of the event-mode Lambda (logs: aws logs tail /aws/lambda/NAME --follow)."
  value       = aws_lambda_function.switchyard["event"].function_name
}

output "drain_function" {
  description = "Name of the batch-mode drain Lambda."
  value       = aws_lambda_function.switchyard["drain"].function_name
}

output "drain_mapping_uuid" {
  description = "UUID of the queue's event source mapping: aws lambda update-event-source-mapping --uuid UUID --enabled drains now."
  value       = aws_lambda_event_source_mapping.drain.uuid
}

output "drain_schedules" {
  description = "EventBridge Scheduler schedules opening and closing the drain."
  value       = { for k, s in aws_scheduler_schedule.drain : k => s.name }
}

output "queue_url" {
  description = "switchyard's --queue for the notification queue, with its dead letters: switchyard dead-letters list --queue URL."
  value       = "${replace(aws_sqs_queue.notifications.url, "https://", "sqs://")}?deadLetter=${urlencode(aws_sqs_queue.dead_letters.url)}"
}

output "dead_letter_queue_url" {
  description = "SQS URL of the notifications that could not be routed."
  value       = aws_sqs_queue.dead_letters.url
}

output "referential_uri" {
  description = "The referential the functions read (SWITCHYARD_ROUTES); upload a new version here, checked first with switchyard validate --routes FILE."
  value       = local.referential_uri
}

output "function_roles" {
  description = "IAM roles the functions run as (grant more buckets through destination_buckets, not by hand)."
  value       = { for k, r in aws_iam_role.function : k => r.arn }
}
