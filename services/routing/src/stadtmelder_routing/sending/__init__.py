"""Send methods: how a department's work items reach it (Kafka, webhook, e-mail, Open311)."""
