"""Tortoise models of the app (the knowledge base's own models live in knowledge.models)."""
from miniprogram_api.models.booking import Appointment, QueueCounter, Slot
from miniprogram_api.models.citizen import Citizen, Notification
from miniprogram_api.models.staff import StaffAccount

__all__ = ["Appointment", "Citizen", "Notification", "QueueCounter", "Slot", "StaffAccount"]
