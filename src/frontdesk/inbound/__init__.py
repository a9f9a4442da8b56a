"""Answers from anywhere: supervisors' replies by SMS (Twilio webhook) and by email (inbound-mail webhook)."""
