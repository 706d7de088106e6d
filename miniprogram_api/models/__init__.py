"""Tortoise models of the app (the knowledge base's own models live in knowledge.models)."""
from miniprogram_api.models.applications import Application, ApplicationEvent, Complaint, FollowUp, QueryAttempt, Rating
from miniprogram_api.models.booking import Appointment, DailyCounter, Slot
from miniprogram_api.models.citizen import Citizen, Notification
from miniprogram_api.models.staff import PiiReveal, StaffAccount
from miniprogram_api.models.stats import MessageDay, RolledUpDay

__all__ = ["Application", "ApplicationEvent", "Appointment", "Citizen", "Complaint", "DailyCounter", "FollowUp",
           "MessageDay", "Notification", "PiiReveal", "QueryAttempt", "Rating", "RolledUpDay", "Slot",
           "StaffAccount"]
