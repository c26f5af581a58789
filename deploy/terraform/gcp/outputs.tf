output "event_function" {
  description = "Name of the event-mode function (logs: gcloud functions logs read NAME --region REGION)."
  value       = google_cloudfunctions2_function.event.name
}

output "drain_function" {
  description = "Name of the batch-mode drain function."
  value       = google_cloudfunctions2_function.drain.name
}

output "drain_url" {
  description = "URL of the drain (needs an identity token with run.invoker)."
  value       = google_cloudfunctions2_function.drain.service_config[0].uri
}

output "scheduler_job" {
  description = "Cloud Scheduler job calling the drain: gcloud scheduler jobs run NAME --location REGION to drain now."
  value       = google_cloud_scheduler_job.drain.name
}

output "region" {
  description = "Region of the functions and the scheduler job."
  value       = var.region
}

output "queue_url" {
  description = "switchyard's --queue for the notification subscription, with its dead letters: switchyard dead-letters list --queue URL."
  value       = "pubsub://${local.subscription_path}?${local.queue_query}&deadLetterSubscription=${google_pubsub_subscription.dead_letters.name}"
}

output "notification_topic" {
  description = "Topic the batch buckets notify."
  value       = google_pubsub_topic.notifications.id
}

output "dead_letter_topic" {
  description = "Topic of the notifications that could not be routed."
  value       = google_pubsub_topic.dead_letters.id
}

output "referential_uri" {
  description = "The referential the functions read (SWITCHYARD_ROUTES); upload a new version here, checked first with switchyard validate --routes FILE."
  value       = local.referential_uri
}

output "runtime_service_account" {
  description = "Service account the functions run as (grant it more buckets here, not by hand)."
  value       = google_service_account.runtime.email
}
