"""`/api/v1/education/`: DRF views of the app (thin: serializer in, one service, serializer out)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from education import content, selectors, serializers, services
from education.models import Certificate, Course, Enrollment, LabChallenge, Lesson, QuizAttempt
from education.permissions import require_teacher


class Pages(PageNumberPagination):
    page_size = 50


class CourseList(generics.ListAPIView):
    """The catalogue: ?q=, ?university=<slug>, ?level=, ?language=."""

    permission_classes = [AllowAny]
    serializer_class = serializers.CourseSerializer
    pagination_class = Pages

    def get_queryset(self):
        params = self.request.query_params
        return selectors.courses_catalogue(
            query=params.get("q", "")[:100],
            university=params.get("university", ""),
            level=params.get("level", ""),
            language=params.get("language", ""),
        )


class CourseDetail(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = serializers.CourseDetailSerializer
    lookup_field = "public_id"
    queryset = Course.objects.filter(is_published=True).select_related("university")


class Enroll(APIView):
    @extend_schema(request=None, responses={201: serializers.EnrollmentSerializer})
    def post(self, request, public_id):
        course = get_object_or_404(Course, public_id=public_id, is_published=True)
        enrollment = services.enrollment_create(course=course, student=request.user)
        return Response(
            serializers.EnrollmentSerializer(enrollment).data, status=status.HTTP_201_CREATED
        )


class MyLearning(APIView):
    @extend_schema(responses={200: serializers.LearningSerializer(many=True)})
    def get(self, request):
        rows = selectors.my_learning(user=request.user)
        return Response(serializers.LearningSerializer(rows, many=True).data)


def _my_lesson(request, public_id) -> tuple[Lesson, Enrollment]:
    cached = content.lesson(public_id)
    if cached is None or not cached.lesson.module.course.is_published:
        raise Http404
    lesson = cached.lesson
    enrollment = selectors.learning_enrollment(
        course_id=lesson.module.course_id, student=request.user
    )
    if enrollment is None:  # get_object_or_404's message, as before
        raise Http404("No Enrollment matches the given query.")
    return lesson, enrollment


class LessonComplete(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request, public_id):
        lesson, enrollment = _my_lesson(request, public_id)
        services.lesson_complete(enrollment=enrollment, lesson=lesson)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttemptStart(APIView):
    @extend_schema(request=None, responses={201: serializers.AttemptSerializer})
    def post(self, request, public_id):
        lesson, enrollment = _my_lesson(request, public_id)
        attempt = services.quiz_attempt_start(enrollment=enrollment, lesson=lesson)
        return Response(serializers.AttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


class AttemptSubmit(APIView):
    @extend_schema(
        request=serializers.AnswersSerializer, responses={200: serializers.AttemptSerializer}
    )
    def post(self, request, public_id):
        pk = selectors.student_attempt_pk(public_id=public_id, student=request.user)
        if pk is None:  # get_object_or_404's message, as before
            raise Http404("No QuizAttempt matches the given query.")
        payload = serializers.AnswersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        attempt = services.quiz_attempt_submit(
            attempt=QuizAttempt(pk=pk), answers=payload.validated_data["answers"]
        )
        return Response(serializers.AttemptSerializer(attempt).data)


class LabOpen(APIView):
    @extend_schema(request=None, responses={200: serializers.LabSerializer})
    def post(self, request, public_id):
        lesson, enrollment = _my_lesson(request, public_id)
        challenge = services.lab_open(enrollment=enrollment, lesson=lesson)
        return Response(serializers.LabSerializer(challenge).data)


class LabSubmit(APIView):
    @extend_schema(
        request=serializers.LabSubmitSerializer, responses={200: serializers.LabSerializer}
    )
    def post(self, request, public_id):
        lesson, enrollment = _my_lesson(request, public_id)
        challenge = get_object_or_404(LabChallenge, enrollment=enrollment, lesson=lesson)
        payload = serializers.LabSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        challenge = services.lab_submit(challenge=challenge, answer=payload.validated_data)
        return Response(serializers.LabSerializer(challenge).data)


class LabFaucet(APIView):
    @extend_schema(request=None, responses={201: None})
    def post(self, request, public_id):
        lesson, enrollment = _my_lesson(request, public_id)
        challenge = get_object_or_404(LabChallenge, enrollment=enrollment, lesson=lesson)
        grant = services.faucet_request(sandbox=challenge.sandbox)
        return Response(
            {"tx_hash": grant.tx_hash, "amount_wei": str(grant.amount_wei)},
            status=status.HTTP_201_CREATED,
        )


class CertificateDetail(generics.RetrieveAPIView):
    """A certificate and its signed OpenBadgeCredential (public: the holder shares it)."""

    permission_classes = [AllowAny]
    serializer_class = serializers.CertificateSerializer
    lookup_field = "public_id"
    queryset = Certificate.objects.exclude(credential=None).select_related(
        "credential", "enrollment__course"
    )


class CertificateRevoke(APIView):
    @extend_schema(
        request=serializers.RevokeSerializer, responses={200: serializers.CertificateSerializer}
    )
    def post(self, request, public_id):
        certificate = get_object_or_404(
            Certificate.objects.select_related("enrollment__course"), public_id=public_id
        )
        payload = serializers.RevokeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        certificate = services.certificate_revoke(
            certificate=certificate, reason=payload.validated_data["reason"], by=request.user
        )
        return Response(serializers.CertificateSerializer(certificate).data)


class Gradebook(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request, public_id):
        course = get_object_or_404(Course, public_id=public_id)
        require_teacher(request.user, course.university_id)
        columns, rows = selectors.gradebook(course=course)
        return Response(
            {
                "columns": [
                    {"id": str(c.public_id), "title": c.title, "kind": c.kind} for c in columns
                ],
                "rows": [
                    {
                        "email": row["student"].email,
                        "status": row["enrollment"].status,
                        "readings": row["readings"],
                        "cells": row["cells"],
                        "certificate": row["certificate"],
                    }
                    for row in rows
                ],
            }
        )


urlpatterns = [
    path("courses/", CourseList.as_view(), name="education-courses"),
    path("courses/<uuid:public_id>/", CourseDetail.as_view(), name="education-course"),
    path("courses/<uuid:public_id>/enrollments/", Enroll.as_view(), name="education-enroll"),
    path("courses/<uuid:public_id>/gradebook/", Gradebook.as_view(), name="education-gradebook"),
    path("me/learning/", MyLearning.as_view(), name="education-my-learning"),
    path(
        "lessons/<uuid:public_id>/complete/",
        LessonComplete.as_view(),
        name="education-lesson-complete",
    ),
    path(
        "lessons/<uuid:public_id>/attempts/", AttemptStart.as_view(), name="education-attempt-start"
    ),
    path(
        "attempts/<uuid:public_id>/submit/",
        AttemptSubmit.as_view(),
        name="education-attempt-submit",
    ),
    path("lessons/<uuid:public_id>/lab/", LabOpen.as_view(), name="education-lab"),
    path("lessons/<uuid:public_id>/lab/submit/", LabSubmit.as_view(), name="education-lab-submit"),
    path("lessons/<uuid:public_id>/lab/faucet/", LabFaucet.as_view(), name="education-lab-faucet"),
    path(
        "certificates/<uuid:public_id>/", CertificateDetail.as_view(), name="education-certificate"
    ),
    path(
        "certificates/<uuid:public_id>/revoke/",
        CertificateRevoke.as_view(),
        name="education-certificate-revoke",
    ),
]
