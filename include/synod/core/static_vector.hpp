#ifndef SYNOD_CORE_STATIC_VECTOR_HPP
#define SYNOD_CORE_STATIC_VECTOR_HPP

/// \file
/// A vector with a capacity fixed at compile time and storage inside the object: what the cores
/// use instead of std::vector so that they never touch the heap.

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

#include "synod/core/assert.hpp"

namespace synod {

/// Up to `Capacity` values of `T`, in place. push_back on a full vector is a programmer error
/// (asserted); callers that take input check `full()` first and answer with an error.
template <class T, std::size_t Capacity>
class static_vector {
public:
    ///@{
    /// The standard container member types; iterators are plain pointers.
    using value_type = T;
    using size_type = std::size_t;
    using iterator = T*;
    using const_iterator = const T*;
    ///@}

    constexpr static_vector() noexcept = default;
    /// Holds `values`, in order (no more than `Capacity`).
    static_vector(std::initializer_list<T> values) {
        for (const T& v : values) push_back(v);
    }
    ///@{
    /// Copies or moves the elements (the storage is inline, so a move moves each one).
    static_vector(const static_vector& other) {
        for (const T& v : other) push_back(v);
    }
    static_vector(static_vector&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
        for (T& v : other) push_back(std::move(v));
    }
    static_vector& operator=(const static_vector& other) {
        if (this != &other) {
            clear();
            for (const T& v : other) push_back(v);
        }
        return *this;
    }
    static_vector& operator=(static_vector&& other) noexcept(
        std::is_nothrow_move_constructible_v<T>) {
        if (this != &other) {
            clear();
            for (T& v : other) push_back(std::move(v));
        }
        return *this;
    }
    ///@}
    ~static_vector() { clear(); }

    /// Most elements it can hold: `Capacity`.
    static constexpr size_type capacity() noexcept { return Capacity; }
    /// Elements held now.
    constexpr size_type size() const noexcept { return size_; }
    /// True when it holds nothing.
    constexpr bool empty() const noexcept { return size_ == 0; }
    /// True when another push_back would be a programmer error.
    constexpr bool full() const noexcept { return size_ == Capacity; }

    ///@{
    /// The first element, contiguous with the others.
    T* data() noexcept { return std::launder(reinterpret_cast<T*>(storage_)); }
    const T* data() const noexcept {
        return std::launder(reinterpret_cast<const T*>(storage_));
    }
    ///@}
    ///@{
    /// The elements, as a range of pointers.
    iterator begin() noexcept { return data(); }
    iterator end() noexcept { return data() + size_; }
    const_iterator begin() const noexcept { return data(); }
    const_iterator end() const noexcept { return data() + size_; }
    ///@}

    ///@{
    /// Element access; an index out of range or an empty vector is a programmer error (asserted).
    T& operator[](size_type i) noexcept {
        SYNOD_ASSERT(i < size_);
        return data()[i];
    }
    const T& operator[](size_type i) const noexcept {
        SYNOD_ASSERT(i < size_);
        return data()[i];
    }
    T& front() noexcept { return (*this)[0]; }
    T& back() noexcept { return (*this)[size_ - 1]; }
    const T& front() const noexcept { return (*this)[0]; }
    const T& back() const noexcept { return (*this)[size_ - 1]; }
    ///@}

    /// Constructs an element at the end from `args` (braced for an aggregate such as entry, in
    /// place, with no temporary to copy); the vector must not be full (asserted).
    template <class... Args>
    T& emplace_back(Args&&... args) {
        SYNOD_ASSERT(size_ < Capacity);
        void* at = static_cast<void*>(data() + size_);
        T* p;
        if constexpr (std::is_constructible_v<T, Args&&...>) {
            p = ::new (at) T(std::forward<Args>(args)...);
        } else {
            p = ::new (at) T{std::forward<Args>(args)...};
        }
        ++size_;
        return *p;
    }
    ///@{
    /// Appends `v`; the vector must not be full (asserted).
    void push_back(const T& v) { emplace_back(v); }
    void push_back(T&& v) { emplace_back(std::move(v)); }
    ///@}
    /// Destroys the last element; the vector must not be empty (asserted).
    void pop_back() noexcept {
        SYNOD_ASSERT(size_ > 0);
        --size_;
        std::destroy_at(data() + size_);
    }
    /// Removes the element at `pos`, keeping the order of the others.
    iterator erase(iterator pos) {
        SYNOD_ASSERT(pos >= begin() && pos < end());
        for (iterator it = pos; it + 1 != end(); ++it) *it = std::move(*(it + 1));
        pop_back();
        return pos;
    }
    /// Inserts `v` before `pos`, shifting the tail right.
    iterator insert(iterator pos, T v) {
        SYNOD_ASSERT(size_ < Capacity);
        const size_type at = static_cast<size_type>(pos - begin());
        emplace_back(std::move(v));
        for (size_type i = size_ - 1; i > at; --i) std::swap(data()[i], data()[i - 1]);
        return begin() + at;
    }
    /// Destroys every element.
    void clear() noexcept {
        while (size_ > 0) pop_back();
    }
    /// Shrinks to `n` elements, or grows to `n` with copies of `fill` (at most `Capacity`).
    void resize(size_type n, const T& fill = T{}) {
        while (size_ > n) pop_back();
        while (size_ < n) push_back(fill);
    }

    ///@{
    /// The elements as a span, for functions that take one.
    operator std::span<T>() noexcept { return {data(), size_}; }
    operator std::span<const T>() const noexcept { return {data(), size_}; }
    ///@}

    /// Same size and equal elements, in order.
    friend bool operator==(const static_vector& a, const static_vector& b) {
        if (a.size() != b.size()) return false;
        for (size_type i = 0; i < a.size(); ++i)
            if (!(a[i] == b[i])) return false;
        return true;
    }

private:
    alignas(T) unsigned char storage_[sizeof(T) * (Capacity == 0 ? 1 : Capacity)];
    size_type size_ = 0;
};

}  // namespace synod

#endif
