"""Vietnamese names for the synthetic registry data (họ, tên đệm, tên; tên đường, thôn; tên doanh nghiệp).

Weights are relative. Family names follow the published shares of Vietnamese surnames (Nguyễn ≈ 38 %,
Trần ≈ 11 %, Lê ≈ 9.5 %, Phạm ≈ 7.1 %, Hoàng/Huỳnh ≈ 5.1 %, Phan ≈ 4.5 %, Vũ/Võ ≈ 3.9 %, Đặng ≈ 2.1 %,
Bùi ≈ 2 %, Đỗ ≈ 1.4 %, Hồ ≈ 1.3 %, Ngô ≈ 1.3 %, Dương ≈ 1 %, Lý ≈ 0.5 %; the remaining ≈ 11 % spread
over other common names). Middle and given names are hand-weighted from common usage, with two columns:
people born before 1980 (Văn, Thị, Hùng, Lan …) and from 1980 (Minh, Gia, Ngọc, Khang, Vy …). All text
is NFC.
"""

from __future__ import annotations

# (name, weight)
FAMILY_NAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.1), ("Hoàng", 5.1), ("Phan", 4.5),
    ("Vũ", 3.9), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0),
    ("Lý", 0.5),
    # the other ≈ 11 %
    ("Đinh", 0.9), ("Trương", 0.8), ("Đào", 0.7), ("Đoàn", 0.7), ("Trịnh", 0.7), ("Mai", 0.6),
    ("Lâm", 0.5), ("Cao", 0.5), ("Hà", 0.5), ("Lương", 0.5), ("Lưu", 0.4), ("Chu", 0.3),
    ("Phùng", 0.3), ("Tạ", 0.3), ("Châu", 0.3), ("Tô", 0.3), ("Thái", 0.3), ("Văn", 0.2),
    ("Kiều", 0.2), ("Tăng", 0.2), ("Quách", 0.2), ("La", 0.2), ("Lại", 0.2), ("Triệu", 0.2),
    ("Hứa", 0.2), ("Tống", 0.2), ("Đàm", 0.2), ("Vương", 0.2), ("Thân", 0.2), ("Giang", 0.2),
    ("Khúc", 0.1), ("Mạc", 0.1), ("Từ", 0.1), ("Doãn", 0.1), ("Khổng", 0.1), ("Nghiêm", 0.1),
    ("Ninh", 0.1), ("Tôn", 0.1), ("Mạch", 0.1), ("Lục", 0.1), ("Âu", 0.1), ("Ông", 0.1),
)  # fmt: skip

SOUTHERN_VARIANTS: dict[str, str] = {"Hoàng": "Huỳnh", "Vũ": "Võ"}
"""From Quảng Nam southwards Hoàng is mostly written Huỳnh and Vũ mostly Võ (a Nguyễn-lords naming taboo)."""

# Family names of some ethnic minorities, by `ethnic-groups` code; others use the Kinh table.
MINORITY_FAMILY_NAMES: dict[str, tuple[tuple[str, float], ...]] = {
    "02": (("Hoàng", 4), ("Nông", 4), ("Lương", 2), ("Lăng", 1), ("Hà", 2), ("Triệu", 1), ("Đàm", 1),
           ("Lục", 1), ("Chu", 1), ("Vi", 1), ("Ma", 1), ("Nguyễn", 2)),  # Tày
    "07": (("Hoàng", 3), ("Nông", 3), ("Lương", 1), ("Lăng", 2), ("Vi", 2), ("Mã", 1), ("Chu", 1),
           ("Lý", 1), ("Triệu", 1)),  # Nùng
    "03": (("Lò", 4), ("Lường", 3), ("Cầm", 2), ("Quàng", 2), ("Vi", 2), ("Hà", 2), ("Điêu", 1),
           ("Tòng", 1), ("Lê", 1)),  # Thái
    "06": (("Bùi", 5), ("Đinh", 4), ("Quách", 2), ("Hà", 2), ("Xa", 1), ("Trương", 1)),  # Mường
    "08": (("Giàng", 4), ("Sùng", 3), ("Vàng", 3), ("Thào", 3), ("Lý", 2), ("Hờ", 1), ("Mùa", 1),
           ("Lầu", 1), ("Vừ", 1), ("Má", 1)),  # HMông
    "09": (("Triệu", 4), ("Bàn", 3), ("Đặng", 2), ("Lý", 2), ("Chảo", 1), ("Phùng", 1)),  # Dao
    "05": (("Thạch", 4), ("Danh", 3), ("Sơn", 3), ("Kim", 2), ("Lâm", 1), ("Châu", 1), ("Lý", 1)),  # Khơ-me
    "04": (("Lâm", 3), ("Trương", 2), ("Lý", 2), ("Quách", 1), ("Hứa", 1), ("Tăng", 1), ("La", 1),
           ("Mã", 1), ("Châu", 1), ("Huỳnh", 1), ("Trần", 2)),  # Hoa
}  # fmt: skip

# (name, weight for people born before 1980, weight from 1980)
MIDDLE_MALE: tuple[tuple[str, float, float], ...] = (
    ("Văn", 55, 20), ("Hữu", 8, 4), ("Đức", 8, 10), ("Quang", 5, 8), ("Minh", 5, 12), ("Xuân", 4, 2),
    ("Ngọc", 3, 2), ("Công", 4, 2), ("Đình", 4, 2), ("Thanh", 3, 3), ("Mạnh", 2, 2), ("Trọng", 2, 2),
    ("Duy", 2, 4), ("Tiến", 2, 2), ("Viết", 1, 1), ("Hoàng", 1, 6), ("Gia", 0.2, 7), ("Anh", 0.5, 5),
    ("Bảo", 0.2, 5), ("Tuấn", 1, 4), ("Thành", 2, 4), ("Đăng", 0.5, 4), ("Trung", 1, 3), ("Nhật", 0.2, 4),
    ("Hải", 1, 3), ("Khánh", 0.2, 3), ("Thế", 2, 2), ("Kim", 1, 0.5), ("Phúc", 0.2, 2),
)  # fmt: skip

MIDDLE_FEMALE: tuple[tuple[str, float, float], ...] = (
    ("Thị", 75, 25), ("Thị Thu", 3, 1), ("Thị Thanh", 2, 1), ("Thị Ngọc", 2, 1), ("Thị Kim", 2, 0.5),
    ("Thị Minh", 1, 1), ("Ngọc", 4, 10), ("Thu", 3, 7), ("Thanh", 3, 6), ("Kim", 3, 3), ("Minh", 1, 6),
    ("Xuân", 2, 1), ("Hồng", 2, 3), ("Bích", 1, 1), ("Thúy", 1, 1), ("Phương", 1, 6), ("Khánh", 0.2, 5),
    ("Bảo", 0.1, 5), ("Hoài", 0.5, 3), ("Mai", 0.5, 4), ("Thùy", 0.5, 5), ("Diệu", 0.3, 3), ("Hà", 0.5, 3),
    ("Gia", 0.1, 4), ("Quỳnh", 0.3, 3), ("Tường", 0.1, 2), ("Tuệ", 0.1, 2), ("An", 0.1, 2), ("Hải", 0.3, 2),
    ("Lan", 0.3, 1), ("Yến", 0.2, 1),
)  # fmt: skip

GIVEN_MALE: tuple[tuple[str, float, float], ...] = (
    ("Hùng", 6, 2), ("Dũng", 6, 3), ("Tuấn", 5, 4), ("Minh", 4, 6), ("Hải", 5, 3), ("Nam", 4, 5),
    ("Long", 4, 4), ("Thắng", 5, 2), ("Cường", 5, 2), ("Hiếu", 2, 4), ("Huy", 2, 6), ("Đức", 4, 3),
    ("Phong", 2, 3), ("Sơn", 5, 2), ("Quân", 2, 5), ("Khoa", 1, 4), ("Bình", 5, 2), ("Hoàng", 2, 3),
    ("Trung", 4, 3), ("Thành", 4, 3), ("Tùng", 3, 3), ("Việt", 2, 3), ("Duy", 1, 3), ("Khánh", 1, 3),
    ("Hưng", 3, 3), ("Lâm", 2, 3), ("Phúc", 1, 5), ("Vinh", 3, 2), ("Kiên", 2, 2), ("Lộc", 2, 3),
    ("Tài", 2, 2), ("Tiến", 3, 2), ("Quang", 3, 2), ("Tâm", 3, 2), ("Nghĩa", 3, 2), ("Thịnh", 2, 2),
    ("Hòa", 4, 1), ("Bảo", 0.5, 5), ("Đạt", 1, 4), ("Thái", 2, 2), ("Toàn", 3, 2), ("Trường", 2, 2),
    ("Tú", 2, 2), ("Hiệp", 2, 1), ("Hào", 1, 2), ("Phát", 1, 3), ("Nhân", 2, 2), ("Khôi", 0.2, 5),
    ("Khang", 0.2, 5), ("An", 1, 5), ("Chiến", 3, 1), ("Thanh", 4, 1), ("Công", 3, 1), ("Lợi", 3, 1),
    ("Thuận", 2, 1), ("Hậu", 2, 1), ("Dương", 1, 3), ("Đăng", 0.5, 3), ("Kiệt", 0.3, 3), ("Vũ", 1, 3),
)  # fmt: skip

GIVEN_FEMALE: tuple[tuple[str, float, float], ...] = (
    ("Anh", 2, 7), ("Linh", 2, 6), ("Trang", 3, 5), ("Hương", 6, 4), ("Hà", 4, 4), ("Lan", 7, 2),
    ("Ngọc", 2, 4), ("Huyền", 3, 4), ("Thảo", 2, 5), ("Hoa", 7, 2), ("Hằng", 4, 3), ("Mai", 5, 3),
    ("Phương", 3, 4), ("Dung", 5, 2), ("Nhung", 4, 2), ("Thủy", 5, 2), ("Yến", 4, 3), ("Nga", 5, 1),
    ("Hạnh", 5, 2), ("Loan", 4, 1), ("Vân", 4, 2), ("Trâm", 1, 3), ("Nhi", 0.3, 5), ("Vy", 0.2, 5),
    ("Hân", 0.2, 5), ("Thư", 0.5, 4), ("Giang", 2, 3), ("Quỳnh", 1, 3), ("Chi", 0.5, 4), ("Ly", 1, 3),
    ("Oanh", 3, 1), ("Hồng", 6, 1), ("Liên", 5, 1), ("Tuyết", 5, 1), ("Cúc", 5, 0.2), ("Hiền", 4, 3),
    ("Thu", 4, 1), ("Uyên", 0.5, 3), ("My", 0.3, 4), ("Ngân", 1, 3), ("Châu", 1, 2), ("Tâm", 2, 2),
    ("Xuân", 4, 1), ("Thoa", 4, 0.5), ("Lý", 3, 1), ("Hiên", 1, 1), ("An", 0.5, 4), ("Diệp", 0.5, 2),
    ("Khánh", 0.2, 3), ("Nhàn", 3, 1), ("Hậu", 2, 1), ("Duyên", 2, 3), ("Thúy", 4, 2), ("Huệ", 4, 1),
)  # fmt: skip

# Street names common to many towns (named after national heroes, writers and dates).
STREETS: tuple[str, ...] = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt",
    "Nguyễn Huệ", "Lê Duẩn", "Hùng Vương", "Phan Chu Trinh", "Điện Biên Phủ", "Võ Thị Sáu",
    "Nguyễn Văn Cừ", "Trần Phú", "Lê Hồng Phong", "Nguyễn Du", "Phan Bội Châu", "Lý Tự Trọng",
    "Ngô Quyền", "Bà Triệu", "Nguyễn Thị Minh Khai", "Hoàng Văn Thụ", "Lê Thánh Tông", "Trường Chinh",
    "Nguyễn Đình Chiểu", "Cách Mạng Tháng Tám", "Lạc Long Quân", "Âu Cơ", "Nguyễn Khuyến",
    "Lê Quý Đôn", "Tô Hiến Thành", "Phạm Văn Đồng", "Võ Nguyên Giáp", "Nguyễn Chí Thanh", "Chu Văn An",
    "Trần Quốc Toản", "Nguyễn Công Trứ", "Hàm Nghi", "Phan Đình Phùng", "Lý Thái Tổ", "Đinh Tiên Hoàng",
    "Lê Văn Sỹ", "Nguyễn Văn Linh", "30 Tháng 4", "3 Tháng 2", "Hoàng Hoa Thám", "Yên Thế", "Kim Đồng",
)  # fmt: skip

VILLAGES: tuple[str, ...] = (
    "Đông", "Tây", "Nam", "Bắc", "Thượng", "Hạ", "Trung", "Đoài", "An Lạc", "Phú Mỹ", "Tân Lập",
    "Hòa Bình", "Bình An", "Thanh Xuân", "Yên Thịnh", "Đông Hải", "Tân Hưng", "Phú Lộc", "Mỹ Hòa",
    "Long Thạnh", "Vĩnh Phú", "Hòa Lợi", "An Phú", "Phú Thọ", "Đồng Tâm", "Quyết Tiến", "Tiền Phong",
    "Thắng Lợi", "Đại Đồng", "Ninh Xá", "Cẩm Bào", "Làng Mới",
)  # fmt: skip
VILLAGES_MOUNTAIN: tuple[str, ...] = (
    "Nà Pan", "Khuổi Nặm", "Pác Bó", "Nà Hang", "Nậm Cang", "Pá Khoang", "Co Sản", "Phiêng Luông",
    "Nà Tấu", "Huổi Lếch", "Lũng Cú",
)  # fmt: skip

# Distinctive parts of enterprise names: two of them make "Minh Phát", "Hoàng Long", "An Khang" …
BRAND_FIRST: tuple[str, ...] = (
    "An", "Bảo", "Đại", "Đông", "Gia", "Hải", "Hoàng", "Hưng", "Kim", "Minh", "Nam", "Ngọc", "Phú",
    "Phúc", "Quang", "Sao", "Tân", "Thành", "Thiên", "Trường", "Việt", "Vĩnh", "Hòa", "Đức", "Thái",
    "Hồng", "Sơn", "Bình", "Lộc", "Phương", "Hợp", "Toàn", "Tín", "Nhật",
)  # fmt: skip
BRAND_SECOND: tuple[str, ...] = (
    "Phát", "Thịnh", "Long", "Hưng", "Lộc", "Thành", "An", "Phúc", "Khang", "Đạt", "Minh", "Tiến",
    "Việt", "Sơn", "Hà", "Nam", "Dương", "Hải", "Vượng", "Tín", "Tâm", "Quang", "Nguyên", "Thuận",
    "Cường", "Gia", "Anh", "Phong", "Lợi", "Kim", "Mỹ", "Hòa", "Bình", "Đông",
)  # fmt: skip

# Words of enterprise names that say nothing of the trade (Vietnamese, English, weight).
GENERIC_TRADES: tuple[tuple[str, str, float], ...] = (
    ("Thương mại và Dịch vụ", "Trading and Services", 8),
    ("Đầu tư và Phát triển", "Investment and Development", 3),
    ("Xuất nhập khẩu", "Import Export", 3),
    ("Thương mại", "Trading", 4),
    ("Dịch vụ", "Services", 2),
    ("Đầu tư", "Investment", 2),
    ("Sản xuất và Thương mại", "Manufacturing and Trading", 3),
    ("Tập đoàn", "Group", 0.3),
)
